"""Data for the live tests, made through the ORM (call these through `database_sync_to_async`): a published
test with a shortlisted candidate, a question's option texts, and the path of a test's attempt socket."""

from typing import Any

from assessments.models import Question, Test
from assessments.tests.factories import enrolled_candidate, published_test_with_bank


def candidate_with_test(**test_fields: Any) -> tuple[Test, Any]:
    """A published test with a bank (3 questions an attempt unless told), and a shortlisted candidate."""
    test_fields.setdefault("questions", 6)
    test = published_test_with_bank(**test_fields)
    return test, enrolled_candidate(test=test)


def option_texts(*, question_id: int) -> tuple[str, list[str]]:
    """The right option's text and the wrong ones', from the bank (served options are shuffled)."""
    question = Question.objects.get(pk=question_id)
    right = question.options[question.correct_option]
    return right, [option for option in question.options if option != right]


def attempt_path(test: Test) -> str:
    return f"/ws/assessment/{test.pk}/"
