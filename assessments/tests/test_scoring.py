"""The one scoring rule (assessments/scoring.py): score, max_score, percentage and pass, voids left out;
and the percentile rank beside it."""

import pytest

from assessments.scoring import attempt_score, percentage_of
from assessments.selectors.comparison import percentile_of


def test_a_void_question_counts_neither_in_the_score_nor_in_the_max() -> None:
    scored = attempt_score(asked=[1, 2, 3, 4], correct=[1, 2], max_before_voids=4, voided={2}, pass_percentage=60)

    assert (scored.score, scored.max_score, scored.voided_asked) == (1, 3, 1)
    assert scored.percentage == 33.33
    assert scored.passed is False


def test_the_pass_mark_is_reached_at_exactly_the_percentage() -> None:
    scored = attempt_score(asked=[1, 2, 3, 4, 5], correct=[1, 2, 3], max_before_voids=5, voided=(), pass_percentage=60)

    assert (scored.percentage, scored.passed) == (60.0, True)


def test_an_attempt_whose_every_question_is_void_scores_zero_of_zero() -> None:
    scored = attempt_score(asked=[7], correct=[7], max_before_voids=1, voided={7}, pass_percentage=0)

    assert (scored.score, scored.max_score, scored.percentage) == (0, 0, 0.0)


def test_a_void_question_the_attempt_never_saw_changes_nothing() -> None:
    scored = attempt_score(asked=[1, 2], correct=[1], max_before_voids=2, voided={99}, pass_percentage=50)

    assert (scored.score, scored.max_score, scored.percentage, scored.passed) == (1, 2, 50.0, True)


@pytest.mark.parametrize(("score", "max_score", "expected"), [(2, 3, 66.67), (0, 0, 0.0), (3, 3, 100.0)])
def test_percentages_are_rounded_to_two_decimals(score: int, max_score: int, expected: float) -> None:
    assert percentage_of(score=score, max_score=max_score) == expected


@pytest.mark.django_db
def test_the_running_score_leaves_a_void_question_out_as_the_final_score_does() -> None:
    """The score shown in `progress_update` while the attempt runs follows the same rule."""
    from assessments.models import QuestionRegrade, Response
    from assessments.services.answers import answer_submit
    from assessments.tests.factories import attempt_started, question_served, served_key

    conn, outcome = attempt_started(questions=4, total=3, feedback_mode="full")
    question_id = question_served(outcome)["question_id"]
    QuestionRegrade.objects.create(question_id=question_id, action=QuestionRegrade.Action.VOID, reason="ambiguous")
    response = Response.objects.select_related("question").get(question_id=question_id)
    reply = answer_submit(conn=conn, question_id=question_id, selected_option=served_key(response))

    progress = next(m for m in reply.messages if m["type"] == "progress_update")["data"]
    assert progress["score"] == 0


def test_a_percentile_rank_counts_the_others_below_and_half_the_ties() -> None:
    assert percentile_of(score=80, others=[20, 40, 60, 80]) == 87.5  # 3 below, 1 tie: (3 + 0.5) / 4
    assert percentile_of(score=50, others=[50, 50]) == 50.0
    assert percentile_of(score=10, others=[20, 30]) == 0.0
    assert percentile_of(score=90, others=[]) is None
