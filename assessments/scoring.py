"""The one scoring rule of an attempt, used wherever a score is computed (the end of an attempt, a
regrade's re-score).

- score: the answered questions the candidate got right, void ones left out;
- max_score: the attempt's max_score before any void, minus the void questions it was asked;
- percentage: score over max_score, in percent to two decimals (0 when nothing is left to score);
- passed: the percentage reaches the test's pass mark.

A question is void once a regrade voided it (`selectors.regrades`): it counts neither in the score
nor in the max_score of any attempt that saw it.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Score:
    score: int
    max_score: int
    percentage: float
    passed: bool
    voided_asked: int  # how many of the attempt's questions are void


def counts_in_score(*, question_id: int, correct: bool | None, voided: Collection[int]) -> bool:
    """Whether one answer adds to the score (the running score during the attempt uses it too)."""
    return bool(correct) and question_id not in voided


def percentage_of(*, score: int, max_score: int) -> float:
    return round(100.0 * score / max_score, 2) if max_score else 0.0


def attempt_score(
    *,
    asked: Iterable[int],
    correct: Iterable[int],
    max_before_voids: int,
    voided: Collection[int],
    pass_percentage: float,
) -> Score:
    """`asked`: the attempt's question ids; `correct`: those it answered right."""
    score = sum(1 for question_id in correct if counts_in_score(question_id=question_id, correct=True, voided=voided))
    voided_asked = sum(1 for question_id in asked if question_id in voided)
    max_score = max(max_before_voids - voided_asked, 0)
    percentage = percentage_of(score=score, max_score=max_score)
    return Score(
        score=score,
        max_score=max_score,
        percentage=percentage,
        passed=percentage >= pass_percentage,
        voided_asked=voided_asked,
    )
