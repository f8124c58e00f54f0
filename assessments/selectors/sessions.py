"""When a candidate's session counts as connected: the one definition every reader and the claim share."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q


def touch_every() -> timedelta:
    """How often every worker marks the sessions of its open connections as seen (see realtime.liveness)."""
    return timedelta(seconds=settings.JATAYU_SESSION_TOUCH_SECONDS)


def stale_after() -> timedelta:
    """A row not seen for this long belongs to a worker that is gone."""
    return timedelta(seconds=settings.JATAYU_SESSION_STALE_SECONDS)


def session_live_q(*, now: datetime) -> Q:
    """The one definition of a connected session: not released, and seen within stale_after()."""
    return Q(disconnected_at__isnull=True, last_seen_at__gte=now - stale_after())
