"""Time given back to a running attempt for a lost connection, under its test's disconnect policy.

The server measures the time from its own session records, never from the client: the claim of the
new connection reads the session row it replaces (`services.sessions`), and the attempt had no live
connection from that row's release, or, when its worker died without releasing it, from the last
time the worker saw it (`SessionClaim.offline_since`), to this connect. A takeover from a connection
that was still live gives nothing. Only time inside the attempt counts (not before it started).

The deadline moves by that time, but an attempt gets at most `Test.disconnect_credit_minutes` back in
all, and never runs past the test's `closes_at` (the cap `attempts.deadline_for` puts on a new
attempt's deadline; a candidate's own `closes_at` is the latest start, not an end). Each credit is a
`time_extended` event of the attempt's log, with `reason: "disconnected"`, so `resume` replays it and
the report lists it.
"""

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from assessments import messages as msg
from assessments.clock import seconds_left
from assessments.errors import ApplicationError
from assessments.models import Assessment, Test
from assessments.services.events import EventBatch
from assessments.services.statements import attempt_save

logger = logging.getLogger(__name__)

# Shorter gaps are a reload or a reconnect on the spot, not a lost connection: no credit is logged.
MIN_CREDIT_SECONDS = 2


@dataclass(frozen=True)
class DisconnectCredit:
    seconds: int
    message: dict[str, Any]  # the logged `time_extended`, with its seq
    notice: dict[str, Any]  # the same without a seq, for the connection that earned it (see PROTOCOL.md)


def disconnect_credit_seconds_due(
    *,
    test: Test,
    started_at: datetime,
    deadline_at: datetime,
    credited_seconds: int,
    offline_since: datetime,
    now: datetime,
) -> int:
    """The whole seconds to give back for a gap from `offline_since` to `now`; 0 for none."""
    if test.disconnect_policy != Test.DisconnectPolicy.CREDIT:
        return 0
    gap = (now - max(offline_since, started_at)).total_seconds()
    if gap < MIN_CREDIT_SECONDS:
        return 0
    seconds = min(math.floor(gap), test.disconnect_credit_minutes * 60 - credited_seconds)
    if test.closes_at is not None:
        seconds = min(seconds, math.floor((test.closes_at - deadline_at).total_seconds()))
    return max(0, seconds)


@transaction.atomic(savepoint=False)
def attempt_disconnect_credit(
    *, assessment: Assessment, offline_since: datetime, now: datetime
) -> DisconnectCredit | None:
    """Give a running attempt back the time it had no live connection (the caller holds its row lock,
    as `connection_open` does); None when its test's policy or the gap gives nothing.

    Two statements when it gives: the attempt's deadline, credit and seq, and the logged event.
    """
    if assessment.status != Assessment.Status.IN_PROGRESS:
        raise ApplicationError(
            msg.ErrorCode.ASSESSMENT_FINISHED, "Only a running attempt is given time back.", status=409
        )
    seconds = disconnect_credit_seconds_due(
        test=assessment.test,
        started_at=assessment.started_at,
        deadline_at=assessment.deadline_at,
        credited_seconds=assessment.disconnect_credit_seconds,
        offline_since=offline_since,
        now=now,
    )
    if seconds == 0:
        return None
    assessment.deadline_at += timedelta(seconds=seconds)
    assessment.disconnect_credit_seconds += seconds
    data = msg.TimeExtended(
        deadline=assessment.deadline_at,
        time_remaining_seconds=seconds_left(deadline=assessment.deadline_at, now=now),
        server_time=now,
        seconds=seconds,
        total_credited_seconds=assessment.disconnect_credit_seconds,
        reason="disconnected",
    )
    events = EventBatch(assessment)
    message = events.add("time_extended", data)
    events.write()
    attempt_save(assessment=assessment, fields=["deadline_at", "disconnect_credit_seconds", "last_seq"])
    logger.info("attempt %s: %s s given back for a lost connection", assessment.pk, seconds)
    return DisconnectCredit(seconds=seconds, message=message, notice={k: v for k, v in message.items() if k != "seq"})
