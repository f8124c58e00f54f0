"""How often each question of a test has been shown: its exposure rate, the share of the test's attempts
that were asked it (docs/PSYCHOMETRICS.md). An item over the maximum rate is seen by too many
candidates to stay secret."""

from dataclasses import dataclass

from django.db.models import Count

from assessments.models import Assessment, Question, Response, Test
from assessments.psychometrics.exposure import DEFAULT_MAX_RATE, exposure_rate


@dataclass(frozen=True)
class ItemExposure:
    question_id: int
    skill: str
    difficulty: str
    prompt: str
    shown: int
    rate: float
    over: bool


def blueprint_exposure(*, test: Test, max_rate: float = DEFAULT_MAX_RATE) -> tuple[int, list[ItemExposure]]:
    """The test's attempts, and every question of its bank with its exposure, most shown first."""
    attempts = Assessment.objects.filter(test=test).count()
    shown = dict(
        Response.objects.filter(assessment__test=test)
        .values("question_id")
        .annotate(n=Count("assessment_id", distinct=True))
        .values_list("question_id", "n")
    )
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
                over=rate > max_rate,
            )
        )
    rows.sort(key=lambda row: (-row.shown, row.question_id))
    return attempts, rows
