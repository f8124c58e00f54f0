"""The single-session rule: one live connection per candidate and endpoint, fenced by an epoch."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from assessments.errors import ApplicationError
from assessments.models import Assessment, CandidateSession
from realtime.groups import send_to_group_on_commit, user_group


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
    A client reconnecting on its own (`reconnecting_epoch`) does not take over from a newer live one.
    """
    key = connection_id_for(user_id=user.pk, test_id=test_id)
    CandidateSession.objects.get_or_create(key=key, defaults={"candidate_id": user.pk, "test_id": test_id})
    session = CandidateSession.objects.select_for_update().get(key=key)
    newer_is_live = session.epoch != reconnecting_epoch and session.disconnected_at is None
    if reconnecting_epoch is not None and newer_is_live:
        raise ApplicationError("session_replaced", "This assessment continues in another window.", status=409)
    session.epoch += 1
    session.channel_name = channel_name
    session.worker = worker
    session.connected_at = timezone.now()
    session.disconnected_at = None
    session.save(update_fields=["epoch", "channel_name", "worker", "connected_at", "disconnected_at"])
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
