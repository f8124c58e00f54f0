"""The one scoring rule of an attempt, used wherever a score is computed (an answer, the end of an
attempt, a regrade's re-score).

- credit: what one answer earns, from 0 to 1 (`question_credit`); a single question earns 1 or 0;
- score: the credit of the answered questions, void ones left out, to two decimals;
- max_score: the attempt's max_score before any void, minus the void questions it was asked;
- percentage: score over max_score, in percent to two decimals (0 when nothing is left to score);
- passed: the percentage reaches the test's pass mark.

A question is void once a regrade voided it (`selectors.regrades`): it counts neither in the score
nor in the max_score of any attempt that saw it.
"""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from assessments.models import Question, Test, score_number


@dataclass(frozen=True)
class Score:
    score: float  # an int when whole (`models.score_number`)
    max_score: int
    percentage: float
    passed: bool
    voided_asked: int  # how many of the attempt's questions are void


def question_credit(*, kind: str, correct: Collection[int], chosen: Collection[int], policy: str) -> float:
    """The share of one question an answer earns, from 0 to 1; full credit (1.0) is a right answer.

    - a single question: 1 when the option chosen is the key, else 0 (the policy does not apply);
    - a multiple question under `all_or_nothing`: 1 when exactly the correct options are chosen, else 0;
    - under `partial`, with k correct options: each correct option chosen earns 1/k and each wrong one
      chosen takes 1/k away, never below 0 (choosing every option earns nothing).

    Rounded to four decimals, so credits of thirds add up to whole scores.
    """
    key, picked = set(correct), set(chosen)
    if kind != Question.Kind.MULTIPLE:
        return 1.0 if picked and picked <= key and len(picked) == 1 else 0.0
    if policy != Test.MultiSelectScoring.PARTIAL:
        return 1.0 if picked == key else 0.0
    right, wrong = len(picked & key), len(picked - key)
    return round(max(0.0, (right - wrong) / len(key)), 4) if key else 0.0


def is_full_credit(credit: float | None) -> bool:
    """Whether an answer counts as right (`Response.is_correct`): it earned the whole question."""
    return credit is not None and credit >= 1.0


def running_score(*, credit: Mapping[int, float], voided: Collection[int]) -> float:
    """The score of these answers (question id → credit), void questions left out, to two decimals."""
    return score_number(sum(value for question_id, value in credit.items() if question_id not in voided))


def percentage_of(*, score: float, max_score: int) -> float:
    return round(100.0 * score / max_score, 2) if max_score else 0.0


def attempt_score(
    *,
    asked: Iterable[int],
    credit: Mapping[int, float],
    max_before_voids: int,
    voided: Collection[int],
    pass_percentage: float,
) -> Score:
    """`asked`: the attempt's question ids; `credit`: what each answered one earned."""
    score = running_score(credit=credit, voided=voided)
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
