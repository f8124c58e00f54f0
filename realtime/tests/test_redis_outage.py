"""A Redis outage mid-attempt: the socket stays open (never 1011), the candidate keeps answering,
and once Redis is back the connection is in its groups again and pushes reach it.

The test starts its own redis-server on a free port and stops only that one (`faults.OwnRedis`).
"""

import asyncio
import contextlib
import time
from collections.abc import Iterator

import pytest
from channels.layers import channel_layers, get_channel_layer
from redis.exceptions import ConnectionError as RedisConnectionError

from assessments import broadcast
from testsupport.faults import OwnRedis
from testsupport.sockets import start_attempt

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def own_redis(settings) -> Iterator[OwnRedis]:
    redis = OwnRedis()
    redis.start()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "realtime.layers.QueueingRedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": redis.url,
                        "socket_timeout": 30,
                        "socket_connect_timeout": 1,
                        "max_connections": 20,
                        "timeout": 5,
                    }
                ]
            },
        }
    }
    channel_layers.backends = {}
    try:
        yield redis
    finally:
        redis.stop()
        channel_layers.backends = {}


async def _announce(test_id: int, text: str) -> None:
    """Send to the test's group; a pooled Redis connection from before the restart may fail once."""
    message = {"type": "announcement", "data": {"message": text}}
    with contextlib.suppress(RedisConnectionError):
        await get_channel_layer().group_send(
            broadcast.test_group(test_id), {"type": "test.announcement", "message": message}
        )


async def test_a_candidate_keeps_answering_through_a_redis_outage_and_hears_pushes_after_it(ws_clients, own_redis):
    started = await start_attempt(ws_clients, questions=6, total=4)
    client = started.client
    question = started.question

    own_redis.stop()
    await asyncio.sleep(0.5)  # the consumer's channel-layer receive fails meanwhile
    for n in range(2):
        await client.send(
            "submit_answer", {"question_id": question["data"]["question_id"], "selected_option": 0}, id=f"a{n}"
        )
        feedback, _progress, question = await client.expect("answer_feedback", "progress_update", "question")
        assert feedback["ref"] == f"a{n}"
    await client.send("heartbeat", id="beat")
    await client.expect("pong")

    own_redis.start()  # an empty Redis: the group memberships are gone
    deadline = time.monotonic() + 10
    while True:
        await _announce(started.test.pk, "back")
        received = await client.ws.receive_nothing(timeout=0.3)
        if not received:
            break
        assert time.monotonic() < deadline, "the connection never heard its test's group again"
    (announcement,) = await client.expect("announcement")
    assert announcement["data"]["message"] == "back"
