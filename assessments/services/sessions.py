"""The single-session rule: one live connection per candidate and endpoint, fenced by an epoch.

A session row says "connected" from claim to release. A worker that is killed never releases its
rows, so liveness also needs a recent `last_seen_at`, which each live worker refreshes for its rows.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from assessments.errors import ApplicationError
from assessments.models import Assessment, CandidateSession
from realtime.groups import send_to_group_on_commit, user_group


def touch_every() -> timedelta:
    """How often every worker marks the sessions of its open connections as seen (see realtime.liveness)."""
    return timedelta(seconds=settings.JATAYU_SESSION_TOUCH_SECONDS)


def stale_after() -> timedelta:
    """A row not seen for this long belongs to a worker that is gone."""
    return timedelta(seconds=settings.JATAYU_SESSION_STALE_SECONDS)


def session_live_q(*, now: datetime) -> Q:
    """The one definition of a connected session: not released, and seen within stale_after()."""
    return Q(disconnected_at__isnull=True, last_seen_at__gte=now - stale_after())


def connection_id_for(*, user_id: int, test_id: int | None) -> str:
    return f"{user_id}_{test_id}" if test_id is not None else f"{user_id}_general"


@dataclass(frozen=True)
class SessionClaim:
    connection_id: str
    epoch: int


@transaction.atomic
def session_claim(
    *, user: User, test_id: int | None, channel_name: str, worker: str, reconnecting_epoch: int | None = None
) -> SessionClaim:
    """Take the next epoch for this candidate's connection; every older connection is now stale.

    The older connection, on whichever worker, hears `session.replace` on the user's group after
    commit. That delivery is at most once, so every write also checks the epoch (`session_check`).
    A client reconnecting on its own (`reconnecting_epoch`) does not take over from a newer live one;
    a newer one whose worker died (not seen for stale_after()) does not hold it back.
    """
    now = timezone.now()
    key = connection_id_for(user_id=user.pk, test_id=test_id)
    CandidateSession.objects.get_or_create(key=key, defaults={"candidate_id": user.pk, "test_id": test_id})
    session = CandidateSession.objects.select_for_update().get(key=key)
    if reconnecting_epoch is not None and session.epoch != reconnecting_epoch:
        newer_is_live = CandidateSession.objects.filter(session_live_q(now=now), pk=session.pk).exists()
        if newer_is_live:
            raise ApplicationError("session_replaced", "This assessment continues in another window.", status=409)
    session.epoch += 1
    session.channel_name = channel_name
    session.worker = worker
    session.connected_at = now
    session.last_seen_at = now
    session.disconnected_at = None
    session.save(update_fields=["epoch", "channel_name", "worker", "connected_at", "last_seen_at", "disconnected_at"])
    if test_id is not None:
        Assessment.objects.filter(
            candidate_id=user.pk, test_id=test_id, status=Assessment.Status.IN_PROGRESS
        ).select_for_update().update(session_epoch=session.epoch)
    send_to_group_on_commit(
        user_group(user.pk), {"type": "session.replace", "connection_id": key, "epoch": session.epoch}
    )
    return SessionClaim(connection_id=key, epoch=session.epoch)


def session_check(*, connection_id: str, epoch: int, lock: bool) -> None:
    """Raise `session_replaced` when a newer connection has claimed this candidate's session."""
    sessions = CandidateSession.objects.filter(key=connection_id)
    if lock:
        sessions = sessions.select_for_update()
    current = sessions.values_list("epoch", flat=True).first()
    if current != epoch:
        raise ApplicationError("session_replaced", "This assessment continues in another window.", status=409)


def session_release(*, connection_id: str, epoch: int) -> None:
    """Mark the session disconnected, unless a newer connection already holds it."""
    CandidateSession.objects.filter(key=connection_id, epoch=epoch).update(
        disconnected_at=timezone.now(), channel_name=""
    )


TOUCH_BATCH = 200


def sessions_touch(*, held: list[tuple[str, int]]) -> int:
    """Mark these (connection_id, epoch) sessions seen now, unless released or taken over; how many."""
    now, touched = timezone.now(), 0
    for start in range(0, len(held), TOUCH_BATCH):
        batch = held[start : start + TOUCH_BATCH]
        these = Q()
        for connection_id, epoch in batch:
            these |= Q(key=connection_id, epoch=epoch)
        touched += CandidateSession.objects.filter(these, disconnected_at__isnull=True).update(last_seen_at=now)
    return touched
