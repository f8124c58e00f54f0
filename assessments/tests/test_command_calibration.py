"""`manage.py calibrate_items` and `item_drift_report`: recompute a test's calibration from all its
answers with a progress bar, and report prior against calibrated difficulty with the flags, as a
table, CSV or JSON."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from assessments.ai.ability import ability_estimate
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
    """Two questions; three ended attempts answered the first right and the second wrong."""
    test = published_test_with_bank(questions=2, skills=1)
    first, second = test.questions.order_by("id")
    for _ in range(3):
        attempt_with_answers(test=test, answers={first: True, second: False})
    return test, first, second


def test_calibrate_items_replays_every_answer_and_prints_the_result(answered, capsys) -> None:
    test, first, second = answered

    out, _ = run("calibrate_items", str(test.pk), "--format", "json", "--progress")

    report = json.loads(out)
    expected = ItemEstimate.from_prior(0.0)
    after_a_wrong = ability_estimate([(0.0, False)])  # the first answer's θ, from the other answer
    for _ in range(3):
        expected = calibration_update(item=expected, theta=after_a_wrong.theta, theta_se=after_a_wrong.se, credit=1.0)
    assert (report["attempts"], report["answers"], report["questions"]) == (3, 6, 2)
    by_id = {item["question_id"]: item for item in report["items"]}
    assert by_id[first.pk]["calibrated"] == pytest.approx(round(expected.mean, 3))
    assert by_id[first.pk]["n"] == 3
    assert by_id[second.pk]["calibrated"] == pytest.approx(-round(expected.mean, 3))  # the mirror image
    assert "3/3" in capsys.readouterr().err  # the progress bar, on stderr, reached the end


def test_item_drift_report_flags_drift_and_negative_discrimination_first(answered) -> None:
    test, first, second = answered
    Question.objects.filter(pk=second.pk).update(
        calibrated_difficulty=1.6,
        calibration_se=0.2,
        calibration_n=40,
        live_discrimination=-0.2,
        calibrated_discrimination=0.62,
        discrimination_se=0.15,
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
    assert (rows[0]["a"], rows[0]["a_se"], rows[0]["discrimination"]) == ("0.62", "0.15", "-0.2")
    assert (rows[1]["calibrated"], rows[1]["a"], rows[1]["flags"]) == ("", "", "")  # nothing calibrated yet

    table, _ = run("item_drift_report", str(test.pk))
    assert "2 question(s), 1 flagged for review" in table
    assert "FLAG: moved over 1 logit" in table
    assert "  +1.60   0.20     40   +1.60   0.62  -0.20  " in table


@pytest.mark.parametrize("command", ["calibrate_items", "item_drift_report", "exposure_report"])
def test_an_unknown_test_is_a_clear_error(command: str) -> None:
    with pytest.raises(CommandError, match="Test 999999 does not exist"):
        run(command, "999999")
