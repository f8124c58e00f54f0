"""How often each question of a test has been shown: its exposure rate, the share of the test's attempts
that were asked it (docs/PSYCHOMETRICS.md). An item over the maximum rate is seen by too many
candidates to stay secret."""

from dataclasses import dataclass

from assessments.models import Question, Test
from assessments.psychometrics.exposure import exposure_rate
from assessments.selectors.bank import blueprint_exposure_counts


@dataclass(frozen=True)
class ItemExposure:
    question_id: int
    skill: str
    difficulty: str
    prompt: str
    shown: int
    rate: float
    over: bool


def blueprint_exposure(*, test: Test, max_rate: float | None = None) -> tuple[int, list[ItemExposure]]:
    """The test's attempts, and every question of its bank with its exposure, most shown first; over
    the test's own maximum rate unless `max_rate` says otherwise."""
    limit = test.max_exposure_rate if max_rate is None else max_rate
    attempts, shown = blueprint_exposure_counts(test_id=test.pk)
    rows = []
    for question in Question.objects.filter(test=test).select_related("skill").order_by("id"):
        n = shown.get(question.pk, 0)
        rate = exposure_rate(shown=n, attempts=attempts)
        rows.append(
            ItemExposure(
                question_id=question.pk,
                skill=question.skill.name,
                difficulty=question.difficulty,
                prompt=question.prompt,
                shown=n,
                rate=round(rate, 4),
                over=rate > limit,
            )
        )
    rows.sort(key=lambda row: (-row.shown, row.question_id))
    return attempts, rows
