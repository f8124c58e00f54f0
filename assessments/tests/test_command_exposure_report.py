"""`manage.py exposure_report`: each question's exposure rate from the test's responses, most shown first,
with the items over the maximum rate marked, as a table, CSV or JSON."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from assessments.tests.backoffice_factories import attempt_with_answers
from assessments.tests.factories import published_test_with_bank

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("exposure_report", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def test_shown():
    """Four attempts: q1 in all four, q2 in two, q3 in one, q4 never."""
    test = published_test_with_bank(questions=4, total_questions=2)
    q1, q2, q3, q4 = test.questions.order_by("id")
    for answers in ({q1: True, q2: False}, {q1: False, q2: True}, {q1: True, q3: True}, {q1: True}):
        attempt_with_answers(test=test, answers=answers)
    return test, (q1, q2, q3, q4)


def test_the_rates_are_shown_over_attempts_most_shown_first(test_shown) -> None:
    test, (q1, q2, q3, q4) = test_shown

    report = json.loads(run(str(test.pk), "--format", "json", "--max-rate", "0.5"))

    assert report["attempts"] == 4
    rows = [(item["question_id"], item["shown"], item["rate"], item["over"]) for item in report["items"]]
    assert rows == [(q1.pk, 4, 1.0, True), (q2.pk, 2, 0.5, False), (q3.pk, 1, 0.25, False), (q4.pk, 0, 0.0, False)]


def test_csv_and_the_table_say_the_same(test_shown) -> None:
    test, (q1, *_rest) = test_shown

    table = list(csv.DictReader(io.StringIO(run(str(test.pk), "--format", "csv"))))
    text = run(str(test.pk))

    assert (table[0]["question_id"], table[0]["shown"], table[0]["over"]) == (str(q1.pk), "4", "true")
    assert "4 attempt(s), 4 question(s), 2 over the rate 0.3" in text  # q1 at 100 %, q2 at 50 %
    assert text.count("OVER") == 2


def test_bad_arguments_fail_in_one_clear_line(test_shown) -> None:
    test, _ = test_shown
    with pytest.raises(CommandError, match="does not exist"):
        run("999999")
    with pytest.raises(CommandError, match="--max-rate"):
        run(str(test.pk), "--max-rate", "0")
