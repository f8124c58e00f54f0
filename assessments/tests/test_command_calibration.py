"""`manage.py calibrate_items` and `item_drift_report`: recompute a test's calibration from all its
answers with a progress bar, and report prior against calibrated difficulty with the flags, as a
table, CSV or JSON."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from assessments.models import Question
from assessments.psychometrics.calibration import ItemEstimate, calibration_update
from assessments.tests.backoffice_factories import attempt_with_answers
from assessments.tests.factories import published_test_with_bank

pytestmark = pytest.mark.django_db


def run(name: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def answered():
    """Two questions; three ended attempts at θ 0 ± 0.3 answered the first right and the second wrong."""
    test = published_test_with_bank(questions=2, skills=1)
    first, second = test.questions.order_by("id")
    for _ in range(3):
        attempt = attempt_with_answers(test=test, answers={first: True, second: False})
        estimate = {"theta": 0.0, "se": 0.3, "asked": 2, "correct": 1}
        attempt.ai_state = {"ability": {"overall": estimate, "skills": {first.skill.name: estimate}}}
        attempt.save()
    return test, first, second


def test_calibrate_items_replays_every_answer_and_prints_the_result(answered, capsys) -> None:
    test, first, second = answered

    out, _ = run("calibrate_items", str(test.pk), "--format", "json", "--progress")

    report = json.loads(out)
    expected = ItemEstimate.from_prior(0.0)
    for _ in range(3):
        expected = calibration_update(item=expected, theta=0.0, theta_se=0.3, credit=1.0)
    assert (report["attempts"], report["answers"], report["questions"]) == (3, 6, 2)
    by_id = {item["question_id"]: item for item in report["items"]}
    assert by_id[first.pk]["calibrated"] == pytest.approx(round(expected.mean, 3))
    assert by_id[first.pk]["n"] == 3
    assert by_id[second.pk]["calibrated"] == pytest.approx(-round(expected.mean, 3))  # the mirror image
    assert "3/3" in capsys.readouterr().err  # the progress bar, on stderr, reached the end


def test_item_drift_report_flags_drift_and_negative_discrimination_first(answered) -> None:
    test, first, second = answered
    Question.objects.filter(pk=second.pk).update(
        calibrated_difficulty=1.6, calibration_se=0.2, calibration_n=40, live_discrimination=-0.2
    )

    out, _ = run("item_drift_report", str(test.pk), "--format", "csv")

    rows = list(csv.DictReader(io.StringIO(out)))
    assert [int(r["question_id"]) for r in rows] == [second.pk, first.pk]
    assert rows[0]["flags"] == "moved over 1 logit from its prior; negative discrimination"
    assert (rows[0]["prior"], rows[0]["calibrated"], rows[0]["drift"], rows[0]["trusted"]) == (
        "0.0",
        "1.6",
        "1.6",
        "true",
    )
    assert (rows[1]["calibrated"], rows[1]["flags"]) == ("", "")  # nothing calibrated yet

    table, _ = run("item_drift_report", str(test.pk))
    assert "2 question(s), 1 flagged for review" in table
    assert "FLAG: moved over 1 logit" in table


@pytest.mark.parametrize("command", ["calibrate_items", "item_drift_report", "exposure_report"])
def test_an_unknown_test_is_a_clear_error(command: str) -> None:
    with pytest.raises(CommandError, match="Test 999999 does not exist"):
        run(command, "999999")
