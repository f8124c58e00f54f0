"""Candidates side by side: percentile ranks among a test's finished attempts, and the comparison of
selected attempts (score, percentile, θ ± SE overall and per skill) that the admin shows and the
results API agrees with."""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from assessments.models import Assessment, Test
from assessments.selectors.results import finished_attempts


def percentile_of(*, score: float, others: Sequence[float]) -> float | None:
    """How many of the `others` scored lower, in percent, ties counted half; None with no others.

    So the best of five finished attempts is at 100, the lowest at 0, and three equal scores sit
    at 50 together.
    """
    if not others:
        return None
    below = sum(1 for other in others if other < score)
    equal = sum(1 for other in others if other == score)
    return round(100.0 * (below + 0.5 * equal) / len(others), 1)


def percentile_ranks(*, test: Test) -> dict[int, float | None]:
    """The percentile rank of every finished attempt at `test` (by percentage score), by attempt id:
    `percentile_of` each against all the others, from one sorted list (n log n, not n²)."""
    scored = [
        (pk, percentage)
        for pk, percentage in finished_attempts(test=test).values_list("pk", "percentage_score")
        if percentage is not None
    ]
    ordered = sorted(percentage for _pk, percentage in scored)
    others = len(ordered) - 1
    ranks: dict[int, float | None] = {}
    for pk, percentage in scored:
        below = bisect_left(ordered, percentage)
        equal = bisect_right(ordered, percentage) - below - 1  # not counting itself
        ranks[pk] = round(100.0 * (below + 0.5 * equal) / others, 1) if others else None
    return ranks


@dataclass(frozen=True)
class SkillAbility:
    theta: float | None
    se: float | None
    asked: int
    correct: int


@dataclass(frozen=True)
class ComparedAttempt:
    assessment_id: int
    candidate: str
    attempt: int
    status: str
    score: float
    max_score: int
    percentage_score: float | None
    passed: bool | None
    percentile: float | None
    theta: float | None
    se: float | None
    skills: dict[str, SkillAbility]


def _ability(raw: dict[str, Any] | None) -> tuple[float | None, float | None]:
    raw = raw or {}
    return raw.get("theta"), raw.get("se")


def attempts_compare(*, test: Test, assessment_ids: Iterable[int]) -> tuple[list[ComparedAttempt], list[str]]:
    """The chosen attempts at `test` (best percentage first) and the skills any of them was asked."""
    ranks = percentile_ranks(test=test)
    attempts = (
        Assessment.objects.filter(test=test, pk__in=list(assessment_ids))
        .select_related("candidate")
        .order_by("-percentage_score", "started_at", "id")
    )
    rows: list[ComparedAttempt] = []
    skill_names: list[str] = []
    for attempt in attempts:
        ability = attempt.ai_state.get("ability") or {}
        theta, se = _ability(ability.get("overall"))
        skills = {
            name: SkillAbility(*_ability(raw), asked=int(raw.get("asked", 0)), correct=int(raw.get("correct", 0)))
            for name, raw in (ability.get("skills") or {}).items()
        }
        skill_names.extend(name for name in skills if name not in skill_names)
        rows.append(
            ComparedAttempt(
                assessment_id=attempt.pk,
                candidate=attempt.candidate.get_username(),
                attempt=attempt.attempt_number,
                status=attempt.get_status_display(),
                score=attempt.score,
                max_score=attempt.max_score,
                percentage_score=attempt.percentage_score,
                passed=attempt.passed,
                percentile=ranks.get(attempt.pk),
                theta=theta,
                se=se,
                skills=skills,
            )
        )
    return rows, skill_names
