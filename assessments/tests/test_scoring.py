"""The one scoring rule (assessments/scoring.py): score, max_score, percentage and pass, voids left out."""

import pytest

from assessments.scoring import attempt_score, percentage_of


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
