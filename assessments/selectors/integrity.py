"""The integrity summary of an attempt, in one line for the results list and the report: tab switches,
pastes, copies, tutor replies that would have given the answer away (blocked), answers too fast to
read and an unusual answer pattern (`selectors.response_signals`), and the mean time per question.
Signals for a recruiter to look closer, never a verdict: none of them changes a score."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Avg, FloatField, OuterRef, QuerySet, Subquery

from assessments.models import Assessment, ChatMessage, IntegrityEvent, Response
from assessments.selectors.response_signals import ResponseSignals, response_signals
from assessments.selectors.results import count_of


@dataclass(frozen=True)
class IntegritySummary:
    tab_switches: int
    pastes: int
    copies: int
    leaks_blocked: int
    mean_seconds: float | None
    signals: ResponseSignals | None = None

    def line(self) -> str:
        counts = [
            (self.tab_switches, "tab switch", "tab switches"),
            (self.pastes, "paste", "pastes"),
            (self.copies, "copy", "copies"),
            (self.leaks_blocked, "answer leak blocked", "answer leaks blocked"),
        ]
        parts = [f"{n} {one if n == 1 else many}" for n, one, many in counts if n]
        parts += self.signals.phrases() if self.signals is not None else []
        parts = parts or ["nothing noted"]
        if self.mean_seconds is not None:
            parts.append(f"{round(self.mean_seconds)} s a question")
        return " · ".join(parts)

    @property
    def anything(self) -> bool:
        noticed = self.signals is not None and self.signals.anything
        return bool(self.tab_switches or self.pastes or self.copies or self.leaks_blocked or noticed)


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
        _mean_ms=Subquery(mean_ms, output_field=FloatField()),
    )


def integrity_signals_attach(assessments: Sequence[Assessment]) -> None:
    """Give each of these attempts (a page of results, say) its response signals, for
    `integrity_summary_of`: two statements for the lot instead of two a row."""
    signals = response_signals(assessments=assessments)
    for assessment in assessments:
        assessment._response_signals = signals.get(assessment.pk)  # type: ignore[attr-defined]


def integrity_summary_of(assessment: Assessment) -> IntegritySummary:
    """The summary of an attempt that came through `integrity_annotate` (and, for the response
    signals, `integrity_signals_attach`)."""
    mean_ms = getattr(assessment, "_mean_ms", None)
    return IntegritySummary(
        tab_switches=int(getattr(assessment, "_tab_switches", 0)),
        pastes=int(getattr(assessment, "_pastes", 0)),
        copies=int(getattr(assessment, "_copies", 0)),
        leaks_blocked=int(getattr(assessment, "_leaks_blocked", 0)),
        mean_seconds=None if mean_ms is None else mean_ms / 1000,
        signals=getattr(assessment, "_response_signals", None),
    )
