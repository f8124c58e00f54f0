"""Reads behind the recruiters' results, exports, live monitor and analytics.

Item analysis (classical test theory, on the finished attempts of a test; running ones are left out):

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
  facility < 0.1 (too hard) or > 0.95 (too easy).

Void questions count in no attempt's total; their own statistics are still shown, marked void.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.models import (
    Assessment,
    CandidateSession,
    ChatMessage,
    IntegrityEvent,
    Question,
    QuestionRegrade,
    Response,
    Test,
)
from assessments.selectors.sessions import session_live_q, stale_after

FACILITY_LOW = 0.1
FACILITY_HIGH = 0.95
SCORE_BINS = 10
TIME_BINS = 10
LIVE_INTEGRITY_EVENTS = 25


# ---------------------------------------------------------------- results, one row per attempt


def _count_of(model: Any, **filters: Any) -> Coalesce:
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
        _hints=_count_of(ChatMessage, role=ChatMessage.Role.CANDIDATE),
        _integrity=_count_of(IntegrityEvent),
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
        options = question.options if isinstance(question.options, list) else []
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


def item_flags(*, facility: float | None, discrimination: float | None) -> list[str]:
    flags = []
    if discrimination is not None and discrimination < 0:
        flags.append("negative discrimination")
    if facility is not None and facility < FACILITY_LOW:
        flags.append(f"facility under {FACILITY_LOW}")
    if facility is not None and facility > FACILITY_HIGH:
        flags.append(f"facility over {FACILITY_HIGH}")
    return flags


def finished_attempts(*, test: Test) -> QuerySet[Assessment]:
    return Assessment.objects.filter(test=test).exclude(status=Assessment.Status.IN_PROGRESS)


def blueprint_item_analysis(*, test: Test) -> list[ItemStats]:
    """Item statistics for every question asked in a finished attempt at `test` (see the module doc)."""
    voided = set(
        QuestionRegrade.objects.filter(question__test=test, action=QuestionRegrade.Action.VOID).values_list(
            "question_id", flat=True
        )
    )
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
                flags=item_flags(facility=facility, discrimination=discrimination),
            )
        )
    return stats


# ---------------------------------------------------------------- distributions


@dataclass(frozen=True)
class Bin:
    label: str
    lower: float
    upper: float
    count: int


def histogram(values: Iterable[float], *, lower: float, upper: float, bins: int, unit: str = "") -> list[Bin]:
    """Equal-width bins over [lower, upper]; the last bin includes `upper`, values outside are clamped."""
    width = (upper - lower) / bins
    counts = [0] * bins
    for value in values:
        index = math.floor((value - lower) / width) if width > 0 else 0
        counts[min(max(index, 0), bins - 1)] += 1

    def fmt(x: float) -> str:
        return f"{x:g}"

    return [
        Bin(
            label=f"{fmt(lower + i * width)}-{fmt(lower + (i + 1) * width)}{unit}",
            lower=lower + i * width,
            upper=lower + (i + 1) * width,
            count=counts[i],
        )
        for i in range(bins)
    ]


def score_distribution(*, test: Test) -> list[Bin]:
    """Percentage scores of the finished attempts in ten bins: 0-10 … 90-100 (100 in the last)."""
    values = finished_attempts(test=test).exclude(percentage_score=None).values_list("percentage_score", flat=True)
    return histogram((float(v) for v in values if v is not None), lower=0, upper=100, bins=SCORE_BINS, unit="%")


def time_distribution(*, test: Test) -> list[Bin]:
    """Minutes taken by the finished attempts, in ten bins of whole minutes up to the longest."""
    spans = finished_attempts(test=test).exclude(ended_at=None).values_list("started_at", "ended_at")
    minutes = [max(0.0, (end - start).total_seconds() / 60) for start, end in spans if end is not None]
    longest = max(minutes, default=0.0)
    width = max(1, math.ceil(longest / TIME_BINS)) if minutes else max(1, math.ceil(test.time_limit_minutes / 10))
    return histogram(minutes, lower=0, upper=width * TIME_BINS, bins=TIME_BINS, unit=" min")


# ---------------------------------------------------------------- live monitor


def seconds_until(deadline: datetime, now: datetime) -> int:
    return max(0, math.ceil((deadline - now).total_seconds()))


def blueprint_live_state(*, test: Test, now: datetime | None = None) -> dict[str, Any]:
    """Who is connected to `test` now, the running attempts, and the latest integrity events.

    Connections come from CandidateSession, which every worker writes (`live_sessions`), whichever
    process holds them; the rows of a worker that died stop counting once they go stale.
    """
    now = now or timezone.now()
    sessions = {s.candidate_id: s for s in live_sessions(now=now).filter(test=test).select_related("candidate")}
    running = list(
        Assessment.objects.filter(test=test, status=Assessment.Status.IN_PROGRESS)
        .select_related("candidate")
        .annotate(
            _answered=Count("responses", filter=Q(responses__answered_at__isnull=False)),
        )
        .order_by("started_at", "id")
    )
    integrity = dict(
        IntegrityEvent.objects.filter(assessment__in=running)
        .values("assessment_id")
        .annotate(n=Count("pk"))
        .values_list("assessment_id", "n")
    )
    hints = dict(
        ChatMessage.objects.filter(assessment__in=running, role=ChatMessage.Role.CANDIDATE)
        .values("assessment_id")
        .annotate(n=Count("pk"))
        .values_list("assessment_id", "n")
    )
    rows: list[dict[str, Any]] = []
    for assessment in running:
        session = sessions.pop(assessment.candidate_id, None)
        answered = int(getattr(assessment, "_answered", 0))
        rows.append(
            {
                "assessment_id": assessment.pk,
                "candidate": assessment.candidate.get_username(),
                "attempt": assessment.attempt_number,
                "connected": session is not None,
                "worker": session.worker if session else "",
                "connected_at": session.connected_at.isoformat() if session and session.connected_at else None,
                "answered": answered,
                "total": assessment.max_score,
                "progress": round(100.0 * answered / assessment.max_score, 1) if assessment.max_score else 0.0,
                "started_at": assessment.started_at.isoformat(),
                "deadline": assessment.deadline_at.isoformat(),
                "remaining_seconds": seconds_until(assessment.deadline_at, now),
                "integrity_events": integrity.get(assessment.pk, 0),
                "hints": hints.get(assessment.pk, 0),
            }
        )
    for session in sessions.values():  # connected, but with no running attempt (before start, or after the end)
        rows.append(
            {
                "assessment_id": None,
                "candidate": session.candidate.get_username(),
                "attempt": None,
                "connected": True,
                "worker": session.worker,
                "connected_at": session.connected_at.isoformat() if session.connected_at else None,
                "answered": None,
                "total": None,
                "progress": None,
                "started_at": None,
                "deadline": None,
                "remaining_seconds": None,
                "integrity_events": None,
                "hints": None,
            }
        )
    events = (
        IntegrityEvent.objects.filter(assessment__test=test)
        .select_related("assessment__candidate")
        .order_by("-created_at", "-id")[:LIVE_INTEGRITY_EVENTS]
    )
    return {
        "test_id": test.pk,
        "server_time": now.isoformat(),
        "connected": sum(1 for r in rows if r["connected"]),
        "running": len(running),
        "rows": rows,
        "integrity_events": [
            {
                "id": e.pk,
                "at": e.created_at.isoformat(),
                "time": e.created_at.strftime("%H:%M:%S"),
                "candidate": e.assessment.candidate.get_username(),
                "assessment_id": e.assessment_id,
                "kind": e.kind,
            }
            for e in events
        ],
    }


# ---------------------------------------------------------------- connections, for operators


def live_sessions(*, now: datetime | None = None) -> QuerySet[CandidateSession]:
    """The connected sessions: not released, and seen (on connect, then by its worker) within stale_after()."""
    return CandidateSession.objects.filter(session_live_q(now=now or timezone.now()))


def stale_sessions(*, now: datetime | None = None) -> QuerySet[CandidateSession]:
    """Sessions never released but not seen for stale_after(): their worker died without releasing them."""
    return CandidateSession.objects.filter(disconnected_at__isnull=True).exclude(
        session_live_q(now=now or timezone.now())
    )


@dataclass(frozen=True)
class ConnectionCounts:
    total: int
    per_worker: list[tuple[str, int]]
    per_test: list[tuple[int | None, str, int]]  # test id (None: general chat), title, count
    stale: int  # not counted in total: see `stale_sessions`
    stale_per_worker: list[tuple[str, int]]
    stale_after_seconds: int


def _per_worker(sessions: QuerySet[CandidateSession]) -> list[tuple[str, int]]:
    return [
        (row["worker"] or "?", row["n"])
        for row in sessions.values("worker").annotate(n=Count("pk")).order_by("-n", "worker")
    ]


def live_connection_counts(*, now: datetime | None = None) -> ConnectionCounts:
    """Connections per worker and per test, from the sessions table every worker shares; stale rows apart."""
    now = now or timezone.now()
    live = live_sessions(now=now)
    stale = stale_sessions(now=now)
    per_test = [
        (row["test_id"], row["test__title"] or "(no test: chat only)", row["n"])
        for row in live.values("test_id", "test__title").annotate(n=Count("pk")).order_by("-n", "test_id")
    ]
    return ConnectionCounts(
        total=live.count(),
        per_worker=_per_worker(live),
        per_test=per_test,
        stale=stale.count(),
        stale_per_worker=_per_worker(stale),
        stale_after_seconds=int(stale_after().total_seconds()),
    )


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
