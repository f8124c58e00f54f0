"""Disconnect credit through the socket (issue 15): a candidate who reconnects after a lost connection
hears `time_extended` with the seconds given back, the deadline and the connection's time-up timer
move, the credit replays, and a takeover by a live tab gives nothing. The clock is moved
(`clock_advance`) instead of waited for. Across real workers: test_live_disconnect_credit.py."""

import math
from datetime import datetime, timedelta
from typing import Any

import pytest

from assessments.models import Assessment, AssessmentEvent, CandidateSession
from assessments.selectors.sessions import stale_after
from realtime import consumers
from testsupport.sockets import Client, Started, db, start_attempt
from testsupport.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)


def session_of(started: Started) -> CandidateSession:
    return CandidateSession.objects.get(candidate=started.user, test=started.test)


def attempt_of(started: Started) -> Assessment:
    return Assessment.objects.get(pk=started.started["data"]["assessment_id"])


async def reconnect(ws_clients: Any, started: Started, *, epoch: int | None = None) -> tuple[Client, dict[str, Any]]:
    client = ws_clients(f"/ws/assessment/{started.test.pk}/")
    await client.connect()
    auth: dict[str, Any] = {"token": token_for(started.user)}
    if epoch is not None:
        auth["epoch"] = epoch
    await client.send("auth", auth)
    (success,) = await client.expect("auth_success")
    return client, success


async def test_a_reconnect_after_a_lost_connection_hears_the_time_given_back_and_the_deadline_moves(
    ws_clients: Any, clock_advance: Any
) -> None:
    started = await start_attempt(ws_clients, disconnect_policy="credit")
    deadline = (await db(attempt_of)(started)).deadline_at
    await started.client.ws.disconnect()
    released = (await db(session_of)(started)).disconnected_at
    clock_advance(130)

    client, success = await reconnect(ws_clients, started, epoch=1)  # the page reconnecting by itself
    (extended,) = await client.expect("time_extended")

    data = extended["data"]
    assert data["seconds"] == math.floor((datetime.fromisoformat(data["server_time"]) - released).total_seconds())
    assert 130 <= data["seconds"] <= 131
    assert (data["total_credited_seconds"], data["reason"]) == (data["seconds"], "disconnected")
    assert "seq" not in extended
    moved = deadline + timedelta(seconds=data["seconds"])
    assert datetime.fromisoformat(data["deadline"]) == moved == (await db(attempt_of)(started)).deadline_at
    snapshot = success["data"]["assessment"]
    assert datetime.fromisoformat(snapshot["deadline"]) == moved
    await client.send("heartbeat")
    await client.expect("pong")
    await client.nothing()


async def test_the_credit_is_in_the_log_and_resume_replays_it(ws_clients: Any, clock_advance: Any) -> None:
    started = await start_attempt(ws_clients, disconnect_policy="credit")
    seen = started.question["seq"]
    await started.client.ws.disconnect()
    clock_advance(45)

    client, success = await reconnect(ws_clients, started, epoch=1)
    (notice,) = await client.expect("time_extended")
    assert success["data"]["assessment"]["last_seq"] == seen + 1
    await client.send("resume", {"last_seq": seen})
    (replayed,) = await client.expect("time_extended")

    assert replayed == {**notice, "seq": seen + 1}
    await client.nothing()


async def test_the_connections_time_up_follows_the_moved_deadline(
    ws_clients: Any, clock_advance: Any, monkeypatch: Any, settings: Any
) -> None:
    monkeypatch.setattr(consumers, "WARNINGS_AT_SECONDS", ())
    settings.JATAYU_TIME_UP_GRACE_SECONDS = 0
    started = await start_attempt(ws_clients, disconnect_policy="credit")
    await started.client.ws.disconnect()
    clock_advance(2.2)  # 2 s given back
    from assessments import clock

    soon = clock.now() + timedelta(seconds=0.3)  # without the credit, time would be up 0.3 s after the connect
    await db(Assessment.objects.filter(pk=started.started["data"]["assessment_id"]).update)(deadline_at=soon)

    client, _ = await reconnect(ws_clients, started, epoch=1)
    (extended,) = await client.expect("time_extended")
    assert extended["data"]["seconds"] == 2
    assert await client.ws.receive_nothing(timeout=1.5)  # past the old deadline: still running
    (done,) = await client.expect("assessment_completed")

    assert (done["data"]["status"], done["data"]["reason"]) == ("timed_out", "time_up")
    assert (await db(attempt_of)(started)).ended_at == soon + timedelta(seconds=2)


async def test_a_second_tab_taking_over_a_live_connection_gives_nothing_and_the_gap_after_it_closes_counts(
    ws_clients: Any, clock_advance: Any
) -> None:
    started = await start_attempt(ws_clients, disconnect_policy="credit")
    clock_advance(60)  # the first tab stays connected all along

    second, _ = await reconnect(ws_clients, started)  # a new tab: it takes over
    await started.client.expect("session_replaced")
    await second.nothing()
    attempt = await db(attempt_of)(started)
    assert attempt.disconnect_credit_seconds == 0

    await second.ws.disconnect()
    clock_advance(20)
    third, _ = await reconnect(ws_clients, started)
    (extended,) = await third.expect("time_extended")
    assert extended["data"]["seconds"] in (20, 21)  # from the second tab's close, not from the first's connect


async def test_a_test_without_the_credit_policy_gives_nothing(ws_clients: Any, clock_advance: Any) -> None:
    plain = await start_attempt(ws_clients)
    credited = await start_attempt(ws_clients, disconnect_policy="credit")
    for started in (plain, credited):
        await started.client.ws.disconnect()
    clock_advance(130)

    plain_again, _ = await reconnect(ws_clients, plain, epoch=1)
    credited_again, _ = await reconnect(ws_clients, credited, epoch=1)

    await plain_again.nothing()
    assert not await db(AssessmentEvent.objects.filter(assessment__candidate=plain.user, type="time_extended").exists)()
    await credited_again.expect("time_extended")  # the control


async def test_a_connection_whose_worker_died_counts_from_when_it_was_last_seen(
    ws_clients: Any, clock_advance: Any
) -> None:
    """The consumer is cancelled without its disconnect (as a killed worker's): its session is never
    released, and once stale the time since its worker last marked it seen is given back."""
    import asyncio

    started = await start_attempt(ws_clients, disconnect_policy="credit")
    started.client.ws.future.cancel()
    with pytest.raises(asyncio.CancelledError):
        await started.client.ws.future
    session = await db(session_of)(started)
    assert session.disconnected_at is None
    clock_advance(stale_after().total_seconds() + 10)

    client, _ = await reconnect(ws_clients, started, epoch=1)
    (extended,) = await client.expect("time_extended")

    data = extended["data"]
    assert data["seconds"] == math.floor(
        (datetime.fromisoformat(data["server_time"]) - session.last_seen_at).total_seconds()
    )
    assert stale_after().total_seconds() + 10 <= data["seconds"] <= stale_after().total_seconds() + 11
