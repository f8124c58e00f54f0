"""`heartbeat {rtt_ms}`: the client reports the round trip it measured last, the connection keeps it,
and the answers it records afterwards carry it (Response.round_trip_ms); anything but a whole number
of milliseconds from 0 to 10000 is refused."""

from typing import Any

import pytest

from assessments.models import Response
from realtime import protocol as p
from testsupport.sockets import db, start_attempt

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_answers_after_a_heartbeat_carry_the_round_trip_it_reported(ws_clients: Any) -> None:
    started = await start_attempt(ws_clients)
    client, first = started.client, started.question["data"]["question_id"]
    await client.send("heartbeat", {"rtt_ms": 84}, id="h1")
    (pong,) = await client.expect("pong")
    assert pong["ref"] == "h1"
    await client.send("submit_answer", {"question_id": first, "selected_option": 0})
    _, _, following = await client.expect("answer_feedback", "progress_update", "question")
    await client.send("heartbeat", {"rtt_ms": 0})
    await client.expect("pong")
    await client.send("submit_answer", {"question_id": following["data"]["question_id"], "selected_option": 0})
    await client.expect("answer_feedback", "progress_update", "question")

    kept = await db(lambda: list(Response.objects.filter(answered_at__isnull=False).order_by("position")))()
    assert [r.round_trip_ms for r in kept] == [84, 0]


@pytest.mark.parametrize("rtt_ms", [0, 10_000, None])
def test_a_heartbeat_takes_a_whole_number_of_milliseconds_up_to_ten_seconds_or_none(rtt_ms: int | None) -> None:
    data = {} if rtt_ms is None else {"rtt_ms": rtt_ms}
    message_type, parsed, _ = p.parse_client_message({"type": "heartbeat", "data": data})
    assert (message_type, parsed) == ("heartbeat", p.HeartbeatData(rtt_ms=rtt_ms))


async def test_a_heartbeat_with_any_other_round_trip_is_refused_and_nothing_is_kept(ws_clients: Any) -> None:
    started = await start_attempt(ws_clients)
    client = started.client
    for bad in (-1, 10_001, "84", 84.5, True, [84]):
        await client.send("heartbeat", {"rtt_ms": bad}, id="bad")
        error = await client.expect_error("validation_error")
        assert error["ref"] == "bad"
        assert "rtt_ms" in error["data"]["message"]
    await client.send("heartbeat", {"rtt_ms": 120})  # the control: a good one is taken
    await client.expect("pong")
    question_id = started.question["data"]["question_id"]
    await client.send("submit_answer", {"question_id": question_id, "selected_option": 0})
    await client.expect("answer_feedback", "progress_update", "question")
    answered = await db(Response.objects.get)(question_id=question_id, assessment__candidate=started.user)
    assert answered.round_trip_ms == 120
