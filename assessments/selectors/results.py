"""Results of a test's attempts, one row per attempt or per response: for the admin, the API and
the exports."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from assessments.models import Assessment, ChatMessage, IntegrityEvent, QuestionRegrade, Response, Test

# ---------------------------------------------------------------- results, one row per attempt


def count_of(model: Any, **filters: Any) -> Coalesce:
    """A correlated COUNT(*) of `model` rows of the outer attempt (no join fan-out with other counts)."""
    rows = (
        model.objects.filter(assessment=OuterRef("pk"), **filters)
        .order_by()
        .values("assessment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def results_annotate(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """Attempts with `_hints` (the candidate's chat messages), `_integrity` and `_time_taken` (finished ones)."""
    return queryset.annotate(
        _hints=count_of(ChatMessage, role=ChatMessage.Role.CANDIDATE),
        _integrity=count_of(IntegrityEvent),
        _time_taken=ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField()),
    )


def blueprint_attempts(*, test: Test) -> QuerySet[Assessment]:
    """Every attempt at `test`, oldest first, annotated for the results table."""
    return results_annotate(
        Assessment.objects.filter(test=test).select_related("candidate", "test").order_by("started_at", "id")
    )


def time_taken_seconds(assessment: Assessment) -> int | None:
    """Whole seconds from start to end of a finished attempt; None while it runs."""
    if assessment.ended_at is None:
        return None
    return max(0, round((assessment.ended_at - assessment.started_at).total_seconds()))


RESULT_COLUMNS = [
    "assessment_id",
    "candidate",
    "email",
    "attempt",
    "status",
    "end_reason",
    "score",
    "max_score",
    "percentage",
    "passed",
    "started_at",
    "ended_at",
    "time_taken_seconds",
    "hints",
    "integrity_events",
]


def result_row(assessment: Assessment) -> dict[str, Any]:
    """One attempt as a results row; `assessment` comes from `results_annotate`."""
    return {
        "assessment_id": assessment.pk,
        "candidate": assessment.candidate.get_username(),
        "email": getattr(assessment.candidate, "email", ""),
        "attempt": assessment.attempt_number,
        "status": assessment.status,
        "end_reason": assessment.end_reason,
        "score": assessment.score,
        "max_score": assessment.max_score,
        "percentage": assessment.percentage_score,
        "passed": assessment.passed,
        "started_at": assessment.started_at.isoformat(),
        "ended_at": assessment.ended_at.isoformat() if assessment.ended_at else None,
        "time_taken_seconds": time_taken_seconds(assessment),
        "hints": int(getattr(assessment, "_hints", 0)),
        "integrity_events": int(getattr(assessment, "_integrity", 0)),
    }


RESPONSE_COLUMNS = [
    "assessment_id",
    "candidate",
    "attempt",
    "position",
    "question_id",
    "question",
    "skill",
    "difficulty",
    "option_chosen",
    "correct_option",
    "correct",
    "void",
    "time_taken_ms",
]


def response_rows(*, assessments: QuerySet[Assessment]) -> Iterator[dict[str, Any]]:
    """One row per question asked in `assessments`: what was chosen (its text), whether it was right."""
    voided = set(
        QuestionRegrade.objects.filter(
            action=QuestionRegrade.Action.VOID, question__responses__assessment__in=assessments
        ).values_list("question_id", flat=True)
    )
    responses = (
        Response.objects.filter(assessment__in=assessments)
        .select_related("assessment__candidate", "question__skill")
        .order_by("assessment__started_at", "assessment_id", "position")
    )
    for response in responses.iterator(chunk_size=500):
        question = response.question
        options = question.option_list
        chosen = response.selected_option
        yield {
            "assessment_id": response.assessment_id,
            "candidate": response.assessment.candidate.get_username(),
            "attempt": response.assessment.attempt_number,
            "position": response.position,
            "question_id": question.pk,
            "question": question.prompt,
            "skill": question.skill.name,
            "difficulty": question.difficulty,
            "option_chosen": options[chosen] if chosen is not None and 0 <= chosen < len(options) else None,
            "correct_option": options[question.correct_option] if question.correct_option < len(options) else None,
            "correct": response.is_correct if chosen is not None else None,
            "void": question.pk in voided,
            "time_taken_ms": response.time_taken_ms,
        }


# ---------------------------------------------------------------- item analysis


# ---------------------------------------------------------------- distributions


# ---------------------------------------------------------------- live monitor


# ---------------------------------------------------------------- connections, for operators


def duration_label(seconds: float | int | timedelta | None) -> str:
    """`1h 02m 03s`, `4m 05s` or `9s`; `-` for none."""
    if seconds is None:
        return "-"
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def finished_attempts(*, test: Test) -> QuerySet[Assessment]:
    return Assessment.objects.filter(test=test).exclude(status=Assessment.Status.IN_PROGRESS)
