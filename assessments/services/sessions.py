"""The single-session rule: one live connection per candidate and endpoint, fenced by an epoch.

A session row says "connected" from claim to release. A worker that is killed never releases its
rows, so liveness also needs a recent `last_seen_at`, which each live worker refreshes for its rows.
The claim reads the row it overwrites in the same statement, so it also knows since when the
candidate had no live connection (`SessionClaim.offline_since`), the measure of a disconnect credit.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Field, Q

from assessments import clock
from assessments.broadcast import send_to_group_on_commit, user_group
from assessments.errors import ApplicationError
from assessments.messages import ErrorCode
from assessments.models import Assessment, CandidateSession
from assessments.selectors.sessions import stale_after
from assessments.services.statements import column_value


def connection_id_for(*, user_id: int, test_id: int | None) -> str:
    return f"{user_id}_{test_id}" if test_id is not None else f"{user_id}_general"


@dataclass(frozen=True)
class SessionClaim:
    connection_id: str
    epoch: int
    # Since when this candidate's endpoint had no live connection, by the row the claim replaced: its
    # release, or the last time its worker saw it when that worker died. None after a takeover from a
    # live connection, or for a new session.
    offline_since: datetime | None = None


class _Replaced(NamedTuple):
    """The session row as it was before the upsert (None for each column when there was none)."""

    epoch: int | None
    disconnected_at: datetime | None
    last_seen_at: datetime | None


def _offline_since(replaced: _Replaced, *, epoch: int, now: datetime) -> datetime | None:
    """When the replaced connection stopped being live (the Python form of `session_live_q`); None if
    it still was. The row read is the one this claim overwrote only when its epoch is one below ours."""
    if replaced.epoch is None or replaced.epoch != epoch - 1:
        return None
    if replaced.disconnected_at is not None:
        return replaced.disconnected_at
    if replaced.last_seen_at is not None and replaced.last_seen_at < now - stale_after():
        return replaced.last_seen_at
    return None


@transaction.atomic
def session_claim(
    *, user: User, test_id: int | None, channel_name: str, worker: str, reconnecting_epoch: int | None = None
) -> SessionClaim:
    """Take the next epoch for this candidate's connection; every older connection is now stale.

    The older connection, on whichever worker, hears `session.replace` on the user's group after
    commit. That delivery is at most once, so every write also checks the epoch it holds.
    A client reconnecting on its own (`reconnecting_epoch`) does not take over from a newer live one;
    a newer one whose worker died (not seen for stale_after()) does not hold it back.

    One upsert takes the row lock, decides, and returns the new epoch with the row it replaced; a
    running attempt is fenced with it in a second statement.
    """
    now = clock.now()
    key = connection_id_for(user_id=user.pk, test_id=test_id)
    upserted = _session_upsert(
        key=key,
        candidate_id=user.pk,
        test_id=test_id,
        channel_name=channel_name,
        worker=worker,
        now=now,
        reconnecting_epoch=reconnecting_epoch,
    )
    if upserted is None:
        raise ApplicationError(ErrorCode.SESSION_REPLACED, "This assessment continues in another window.", status=409)
    epoch, replaced = upserted
    if test_id is not None:
        Assessment.objects.filter(candidate_id=user.pk, test_id=test_id, status=Assessment.Status.IN_PROGRESS).update(
            session_epoch=epoch
        )
    if epoch > 1:  # epoch 1 is a new session: there is no older connection to tell
        send_to_group_on_commit(user_group(user.pk), {"type": "session.replace", "connection_id": key, "epoch": epoch})
    return SessionClaim(connection_id=key, epoch=epoch, offline_since=_offline_since(replaced, epoch=epoch, now=now))


def _session_upsert(
    *,
    key: str,
    candidate_id: int,
    test_id: int | None,
    channel_name: str,
    worker: str,
    now: datetime,
    reconnecting_epoch: int | None,
) -> tuple[int, _Replaced] | None:
    """Insert the session at epoch 1 or move it to the next epoch: (the new epoch, the row as it was);
    None when a reconnecting client is refused.

    A reconnecting client names the epoch it held; it takes over only from itself, from a released
    session, or from one whose holder is no longer seen (the SQL form of `session_live_q`).

    The row as it was comes from a CTE the insert selects from, so it is read (and on PostgreSQL
    locked, so no other claim slips in between) before the upsert overwrites it; the RETURNING clause
    reads the same materialized rows. Both backends evaluate it so; test_disconnect_credit pins it.
    """
    table = connection.ops.quote_name(CandidateSession._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(now)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    params: list[Any] = [key, key, candidate_id, test_id, channel_name, worker, at, at]
    refuse_live_newer = ""
    if reconnecting_epoch is not None:
        refuse_live_newer = (
            f' WHERE {table}."epoch" = %s OR {table}."disconnected_at" IS NOT NULL'
            f' OR {table}."last_seen_at" IS NULL OR {table}."last_seen_at" < %s'
        )
        params += [reconnecting_epoch, connection.ops.adapt_datetimefield_value(now - stale_after())]
    # Only the table's own quoted name and fixed SQL are interpolated; every value is a parameter.
    sql = (
        'WITH "replaced" AS MATERIALIZED (SELECT "epoch", "disconnected_at", "last_seen_at"'  # noqa: S608
        f' FROM {table} WHERE "key" = %s{lock})'
        f' INSERT INTO {table} ("key", "candidate_id", "test_id", "epoch", "channel_name", "worker",'
        ' "connected_at", "last_seen_at", "disconnected_at") SELECT %s, %s, %s, 1, %s, %s, %s, %s, NULL'
        ' FROM (SELECT 1) AS "one" LEFT JOIN "replaced" ON 1 = 1 WHERE 1 = 1'  # WHERE: SQLite's upsert needs one
        f' ON CONFLICT ("key") DO UPDATE SET "epoch" = {table}."epoch" + 1,'
        ' "channel_name" = EXCLUDED."channel_name", "worker" = EXCLUDED."worker",'
        ' "connected_at" = EXCLUDED."connected_at", "last_seen_at" = EXCLUDED."last_seen_at",'
        f' "disconnected_at" = NULL{refuse_live_newer} RETURNING "epoch",'
        ' (SELECT "epoch" FROM "replaced"), (SELECT "disconnected_at" FROM "replaced"),'
        ' (SELECT "last_seen_at" FROM "replaced")'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    epoch, replaced_epoch, disconnected_at, last_seen_at = row
    replaced = _Replaced(
        epoch=None if replaced_epoch is None else int(replaced_epoch),
        disconnected_at=_datetime_of(disconnected_at),
        last_seen_at=_datetime_of(last_seen_at),
    )
    return int(epoch), replaced


def _datetime_of(value: Any) -> datetime | None:
    """A datetime column of the session row read by raw SQL, as the ORM would give it."""
    field = CandidateSession._meta.get_field("last_seen_at")
    return None if value is None else column_value(connection, cast(Field, field), value)


def session_release(*, connection_id: str, epoch: int) -> None:
    """Mark the session disconnected, unless a newer connection already holds it."""
    CandidateSession.objects.filter(key=connection_id, epoch=epoch).update(disconnected_at=clock.now(), channel_name="")


TOUCH_BATCH = 200


def _held_q(batch: list[tuple[str, int]]) -> Q:
    these = Q()
    for connection_id, epoch in batch:
        these |= Q(key=connection_id, epoch=epoch)
    return these


def sessions_touch(*, held: list[tuple[str, int]]) -> int:
    """Mark these (connection_id, epoch) sessions seen now, unless released or taken over; how many."""
    now, touched = clock.now(), 0
    for start in range(0, len(held), TOUCH_BATCH):
        batch = held[start : start + TOUCH_BATCH]
        touched += CandidateSession.objects.filter(_held_q(batch), disconnected_at__isnull=True).update(
            last_seen_at=now
        )
    return touched


def sessions_superseded(*, held: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Those of these (connection_id, epoch) that no longer hold their session: a newer connection
    took it over (its kick-out may never have arrived, say during a Redis outage) or it was released."""
    current: set[tuple[str, int]] = set()
    for start in range(0, len(held), TOUCH_BATCH):
        rows = CandidateSession.objects.filter(_held_q(held[start : start + TOUCH_BATCH]), disconnected_at__isnull=True)
        current.update(rows.values_list("key", "epoch"))
    return [pair for pair in held if pair not in current]
