"""The integrity summary of an attempt, in one line for the results list and the report: tab switches,
pastes, copies, tutor replies that would have given the answer away (blocked), answers given very
fast, and the mean time per question. Signals for a recruiter to look closer, never a verdict: none
of them changes a score."""

from dataclasses import dataclass

from django.db.models import Avg, FloatField, OuterRef, QuerySet, Subquery

from assessments.models import Assessment, ChatMessage, IntegrityEvent, Response
from assessments.selectors.results import count_of

# An answer this fast, from the question being shown to the answer received, was hardly read.
FAST_ANSWER_SECONDS = 5


@dataclass(frozen=True)
class IntegritySummary:
    tab_switches: int
    pastes: int
    copies: int
    leaks_blocked: int
    fast_answers: int
    mean_seconds: float | None

    def line(self) -> str:
        counts = [
            (self.tab_switches, "tab switch", "tab switches"),
            (self.pastes, "paste", "pastes"),
            (self.copies, "copy", "copies"),
            (self.leaks_blocked, "answer leak blocked", "answer leaks blocked"),
            (self.fast_answers, f"answer under {FAST_ANSWER_SECONDS} s", f"answers under {FAST_ANSWER_SECONDS} s"),
        ]
        parts = [f"{n} {one if n == 1 else many}" for n, one, many in counts if n] or ["nothing noted"]
        if self.mean_seconds is not None:
            parts.append(f"{round(self.mean_seconds)} s a question")
        return " · ".join(parts)

    @property
    def anything(self) -> bool:
        return bool(self.tab_switches or self.pastes or self.copies or self.leaks_blocked or self.fast_answers)


def integrity_annotate(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """Attempts with what `integrity_summary_of` reads (one correlated subquery per count)."""
    mean_ms = (
        Response.objects.filter(assessment=OuterRef("pk"), time_taken_ms__isnull=False)
        .order_by()
        .values("assessment")
        .annotate(mean=Avg("time_taken_ms"))
        .values("mean")
    )
    return queryset.annotate(
        _tab_switches=count_of(IntegrityEvent, kind=IntegrityEvent.Kind.TAB_HIDDEN),
        _pastes=count_of(IntegrityEvent, kind=IntegrityEvent.Kind.PASTE),
        _copies=count_of(IntegrityEvent, kind=IntegrityEvent.Kind.COPY),
        _leaks_blocked=count_of(ChatMessage, role=ChatMessage.Role.TUTOR, blocked_leak=True),
        _fast_answers=count_of(Response, time_taken_ms__lt=FAST_ANSWER_SECONDS * 1000),
        _mean_ms=Subquery(mean_ms, output_field=FloatField()),
    )


def integrity_summary_of(assessment: Assessment) -> IntegritySummary:
    """The summary of an attempt that came through `integrity_annotate`."""
    mean_ms = getattr(assessment, "_mean_ms", None)
    return IntegritySummary(
        tab_switches=int(getattr(assessment, "_tab_switches", 0)),
        pastes=int(getattr(assessment, "_pastes", 0)),
        copies=int(getattr(assessment, "_copies", 0)),
        leaks_blocked=int(getattr(assessment, "_leaks_blocked", 0)),
        fast_answers=int(getattr(assessment, "_fast_answers", 0)),
        mean_seconds=None if mean_ms is None else mean_ms / 1000,
    )
