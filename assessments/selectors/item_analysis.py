"""Item analysis (classical test theory, on the finished attempts of a test; running ones are left out):

- *asked*: how many finished attempts were served the question; *answered*: how many answered it.
- *facility* p: the proportion of the answers that were correct (an asked but unanswered item is
  not counted). Near 0 the item is very hard, near 1 very easy.
- *discrimination*: the point-biserial correlation between the item's score x (1 correct, 0 wrong)
  and the **rest score** of the same attempt: the number of its *other* answered, non-void items
  it got right (the attempt's total minus x). Leaving the item out of the total avoids correlating
  the item with itself. Over the n attempts that answered the item,

      r_pb = (M1 - M0) / s * sqrt(p * (1 - p))

  where M1 and M0 are the mean rest scores of those who got it right and wrong, s the population
  standard deviation of the rest scores, and p the facility. This equals Pearson's r between x and
  the rest score. It is undefined (shown as "-") when n < 2, when everyone got the item right or
  everyone wrong, or when all rest scores are equal.
- *flags*: negative discrimination (better candidates do worse on it: often a wrong key),
  facility < 0.1 (too hard) or > 0.95 (too easy); only once the item has FLAG_MIN_ANSWERS answers,
  since one or two answers make any item look too hard or too easy.

Void questions count in no attempt's total; their own statistics are still shown, marked void.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field

from assessments.models import Question, Response, Test
from assessments.selectors.regrades import blueprint_voided_question_ids
from assessments.selectors.results import finished_attempts

FACILITY_LOW = 0.1
FACILITY_HIGH = 0.95
FLAG_MIN_ANSWERS = 5


def point_biserial(item: list[int], totals: list[float]) -> float | None:
    """Pearson's r between 0/1 item scores and totals (the point-biserial); None when undefined."""
    n = len(item)
    if n < 2 or n != len(totals):
        return None
    p = sum(item) / n
    if p in (0.0, 1.0):
        return None
    mean = sum(totals) / n
    sd = math.sqrt(sum((t - mean) ** 2 for t in totals) / n)
    if sd == 0:
        return None
    right = [t for x, t in zip(item, totals, strict=True) if x]
    wrong = [t for x, t in zip(item, totals, strict=True) if not x]
    m1, m0 = sum(right) / len(right), sum(wrong) / len(wrong)
    return (m1 - m0) / sd * math.sqrt(p * (1 - p))


@dataclass(frozen=True)
class ItemStats:
    question_id: int
    prompt: str
    skill: str
    difficulty: str
    source: str
    void: bool
    asked: int
    answered: int
    correct: int
    facility: float | None
    discrimination: float | None
    flags: list[str] = field(default_factory=list)

    @property
    def too_few_to_judge(self) -> bool:
        return self.answered < FLAG_MIN_ANSWERS


def item_flags(*, facility: float | None, discrimination: float | None, answered: int) -> list[str]:
    flags: list[str] = []
    if answered < FLAG_MIN_ANSWERS:
        return flags
    if discrimination is not None and discrimination < 0:
        flags.append("negative discrimination")
    if facility is not None and facility < FACILITY_LOW:
        flags.append(f"facility under {FACILITY_LOW}")
    if facility is not None and facility > FACILITY_HIGH:
        flags.append(f"facility over {FACILITY_HIGH}")
    return flags


def blueprint_item_analysis(*, test: Test) -> list[ItemStats]:
    """Item statistics for every question asked in a finished attempt at `test` (see the module doc)."""
    voided = blueprint_voided_question_ids(test_id=test.pk)
    rows = list(
        Response.objects.filter(assessment__in=finished_attempts(test=test)).values_list(
            "assessment_id", "question_id", "selected_option", "is_correct"
        )
    )
    totals: dict[int, int] = defaultdict(int)
    for assessment_id, question_id, selected, correct in rows:
        if selected is not None and correct and question_id not in voided:
            totals[assessment_id] += 1
    asked: dict[int, int] = defaultdict(int)
    scores: dict[int, list[tuple[int, int]]] = defaultdict(list)  # question -> [(x, rest score)]
    for assessment_id, question_id, selected, correct in rows:
        asked[question_id] += 1
        if selected is None:
            continue
        x = 1 if correct else 0
        rest = totals[assessment_id] - (x if question_id not in voided else 0)
        scores[question_id].append((x, rest))
    questions = Question.objects.filter(pk__in=asked).select_related("skill").order_by("id")
    stats = []
    for question in questions:
        pairs = scores.get(question.pk, [])
        xs = [x for x, _ in pairs]
        correct_count = sum(xs)
        facility = correct_count / len(xs) if xs else None
        discrimination = point_biserial(xs, [float(r) for _, r in pairs])
        stats.append(
            ItemStats(
                question_id=question.pk,
                prompt=question.prompt,
                skill=question.skill.name,
                difficulty=question.difficulty,
                source=question.source,
                void=question.pk in voided,
                asked=asked[question.pk],
                answered=len(xs),
                correct=correct_count,
                facility=facility,
                discrimination=discrimination,
                flags=item_flags(facility=facility, discrimination=discrimination, answered=len(xs)),
            )
        )
    return stats
