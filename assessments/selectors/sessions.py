"""Connected sessions: the one definition of a live one (every reader and the claim share it), and
the counts operators see."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from assessments import clock
from assessments.models import CandidateSession


def touch_every() -> timedelta:
    """How often every worker marks the sessions of its open connections as seen (see realtime.liveness)."""
    return timedelta(seconds=settings.JATAYU_SESSION_TOUCH_SECONDS)


def stale_after() -> timedelta:
    """A row not seen for this long belongs to a worker that is gone."""
    return timedelta(seconds=settings.JATAYU_SESSION_STALE_SECONDS)


def session_live_q(*, now: datetime) -> Q:
    """The one definition of a connected session: not released, and seen within stale_after()."""
    return Q(disconnected_at__isnull=True, last_seen_at__gte=now - stale_after())


def live_sessions(*, now: datetime | None = None) -> QuerySet[CandidateSession]:
    """The connected sessions: not released, and seen (on connect, then by its worker) within stale_after()."""
    return CandidateSession.objects.filter(session_live_q(now=now or clock.now()))


def stale_sessions(*, now: datetime | None = None) -> QuerySet[CandidateSession]:
    """Sessions never released but not seen for stale_after(): their worker died without releasing them."""
    return CandidateSession.objects.filter(disconnected_at__isnull=True).exclude(session_live_q(now=now or clock.now()))


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
    now = now or clock.now()
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
