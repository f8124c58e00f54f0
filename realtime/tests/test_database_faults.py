"""A stuck database call ends within its timeout with `retryable_error`, acknowledges nothing, and
the same message again is recorded once; the connections are bounded as the settings say."""

import asyncio
import threading
import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction

from assessments.models import Assessment, Response
from jatayu.env import database_from_url
from realtime.db import db
from testsupport.sockets import start_attempt

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _row_locked_until(assessment_id: int, locked: threading.Event, release: threading.Event) -> None:
    """Hold the attempt's row lock in another transaction until `release` is set."""
    try:
        with transaction.atomic():
            Assessment.objects.select_for_update().get(pk=assessment_id)
            locked.set()
            release.wait(timeout=30)
    finally:
        connection.close()


async def test_an_answer_behind_a_held_row_lock_gets_retryable_error_then_is_recorded_once(ws_clients) -> None:
    started, other = await start_attempt(ws_clients), await start_attempt(ws_clients)
    client, question_id = started.client, started.question["data"]["question_id"]
    assessment_id = started.started["data"]["assessment_id"]
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_row_locked_until, args=(assessment_id, locked, release))
    holder.start()
    try:
        assert await asyncio.to_thread(locked.wait, 10)
        began = time.monotonic()
        await client.send("submit_answer", {"question_id": question_id, "selected_option": 0}, id="a1")
        # Another candidate's heartbeat on this worker is answered while the answer waits for the lock.
        await asyncio.sleep(0.2)
        await other.client.send("heartbeat", id="beat")
        (pong,) = await asyncio.wait_for(other.client.expect("pong"), timeout=0.5)
        assert pong["ref"] == "beat"
        timeout = settings.JATAYU_DB_LOCK_TIMEOUT_MS / 1000
        error = await client.ws.receive_json_from(timeout=timeout + 5)
        waited = time.monotonic() - began
        assert (error["type"], error["data"]["code"], error["ref"]) == ("error", "retryable_error", "a1"), error
        assert timeout * 0.8 <= waited <= timeout + 3
        assert not await db(Response.objects.filter(assessment_id=assessment_id, answered_at__isnull=False).exists)()
    finally:
        release.set()
        await asyncio.to_thread(holder.join, 10)

    await client.send("submit_answer", {"question_id": question_id, "selected_option": 0}, id="a1")
    feedback, _progress, _next = await client.expect("answer_feedback", "progress_update", "question")
    assert feedback["ref"] == "a1"
    await client.send("submit_answer", {"question_id": question_id, "selected_option": 0}, id="a1")
    again, _, _ = await client.expect("answer_feedback", "progress_update", "question")
    assert again["seq"] == feedback["seq"]  # the repeat is the same answer, replayed
    answered = Response.objects.filter(assessment_id=assessment_id, answered_at__isnull=False)
    assert await db(answered.count)() == 1


def _connect_kwargs(**timeouts: int) -> dict[str, object]:
    current = connection.settings_dict
    entry = database_from_url(
        f"postgres://{current['USER']}@{current['HOST']}:{current['PORT']}/{current['NAME']}",
        **timeouts,
    )
    options = dict(entry["OPTIONS"])  # type: ignore[call-overload]
    options.pop("pool")
    return {
        "dbname": entry["NAME"],
        "user": entry["USER"],
        "host": entry["HOST"],
        "port": entry["PORT"],
        **options,
    }


def test_a_statement_past_the_statement_timeout_is_cancelled() -> None:
    with psycopg.connect(**_connect_kwargs(statement_timeout_ms=200)) as conn:  # type: ignore[arg-type]
        began = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT pg_sleep(5)")
        assert time.monotonic() - began < 2


def test_the_project_s_connections_carry_the_configured_timeouts() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')")
        statement, lock = cursor.fetchone()
    assert (statement, lock) == (
        f"{settings.JATAYU_DB_STATEMENT_TIMEOUT_MS // 1000}s",
        f"{settings.JATAYU_DB_LOCK_TIMEOUT_MS // 1000}s",
    )
    assert connection.settings_dict["OPTIONS"]["connect_timeout"] == settings.JATAYU_DB_CONNECT_TIMEOUT_SECONDS
