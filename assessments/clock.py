"""One clock for every deadline: the database's.

Attempts are started, answered, extended and expired by whichever worker or command gets there.
If each used its own machine's clock, one running a minute fast would refuse answers a minute early,
and one running slow would accept them late. So each process measures how far the database's clock
is from its own (`clock_measure`: one `SELECT`, on PostgreSQL only). A worker does it every liveness
round; any process also does it on first use, and again when its last measure is over
REMEASURE_SECONDS old, except on the event loop. `now()` reads the database's time without another
statement, so the hot paths keep their statement budgets.

On SQLite there is one machine, and the offset stays zero.
"""

import asyncio
import math
import time
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

REMEASURE_SECONDS = 300.0
_offset = timedelta(0)
_measured_at: float | None = None  # time.monotonic() of the last measure


def now() -> datetime:
    """The database's time now, as of this process's last measure of its clock. Code on an event loop
    (a consumer's timers, a pong) never measures: it reads the last offset, which a worker's first
    database call has measured by then."""
    if (_measured_at is None or time.monotonic() - _measured_at > REMEASURE_SECONDS) and not _on_event_loop():
        clock_measure()
    return timezone.now() + _offset


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


_database_now = now  # `seconds_left` takes a `now` argument of its own


def clock_measure() -> timedelta:
    """Measure and keep the database clock's offset from this process's clock (one statement)."""
    global _offset, _measured_at
    if connection.vendor != "postgresql":
        _measured_at = time.monotonic()
        return _offset
    before = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        (database_time,) = cursor.fetchone()
    after = timezone.now()
    _offset = database_time - (before + (after - before) / 2)
    _measured_at = time.monotonic()
    return _offset


def seconds_left(*, deadline: datetime, now: datetime | None = None) -> int:
    """Rounded up, so a candidate is never shown 0 while time remains; never negative."""
    return max(0, math.ceil((deadline - (now or _database_now())).total_seconds()))


def time_up_grace() -> timedelta:
    """How long past its deadline an attempt still takes the answer to the question on screen: the
    page submits the chosen option at time-up, and that message is on its way when the deadline
    passes. The attempt then ends at its deadline; no further question is asked."""
    from django.conf import settings

    return timedelta(seconds=settings.JATAYU_TIME_UP_GRACE_SECONDS)
