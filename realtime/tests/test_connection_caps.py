"""New connections are capped per user and per client address each minute, across workers."""

import os
import uuid

import pytest
from django.test import override_settings

from assessments.tests.factories import UserFactory
from realtime import layers
from realtime.admission import WINDOW_SECONDS, connection_counted
from realtime.layers import QueueingRedisChannelLayer
from testsupport.sockets import db
from testsupport.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_local_counts():
    """The in-memory layer's counters are process-wide: each test starts from none."""
    layers._local_counts.clear()
    yield
    layers._local_counts.clear()


def an_address() -> str:
    """A client address no other test (or earlier run on the same Redis) has counted."""
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:6]}"


def connection(ws_clients, address: str | None = None):
    client = ws_clients("/ws/chat/")
    if address is not None:
        client.ws.scope["client"] = (address, 40000)
    return client


async def refused(client) -> dict:
    error = await client.expect_error("rate_limited")
    await client.expect_close(4029)
    return error


@override_settings(WS_CONNECTS_PER_USER=2, WS_CONNECTS_PER_ADDRESS=0)
async def test_a_users_third_connection_in_a_minute_is_refused_with_retry_after(ws_clients):
    user = await db(UserFactory)()
    first, second, third = (connection(ws_clients) for _ in range(3))
    for client in (first, second):
        await client.connect()
        await client.auth(token_for(user))

    await third.connect()
    await third.send("auth", {"token": token_for(user)})
    error = await refused(third)

    assert 1 <= error["data"]["retry_after"] <= WINDOW_SECONDS
    assert "connect again" in error["data"]["message"]
    # The sessions already open are not touched (the second one took over from the first).
    await second.send("heartbeat")
    (pong,) = await second.expect("pong")
    assert "retry_after" not in pong["data"]


@override_settings(WS_CONNECTS_PER_USER=2, WS_CONNECTS_PER_ADDRESS=0)
async def test_the_user_cap_is_per_user(ws_clients):
    one, other = await db(UserFactory)(), await db(UserFactory)()
    for _ in range(2):
        client = connection(ws_clients)
        await client.connect()
        await client.auth(token_for(one))

    client = connection(ws_clients)
    await client.connect()
    success = await client.auth(token_for(other))

    assert success["data"]["user_id"] == other.pk


@override_settings(WS_CONNECTS_PER_USER=0, WS_CONNECTS_PER_ADDRESS=3)
async def test_an_address_is_capped_whatever_users_it_connects(ws_clients):
    address = an_address()
    users = [await db(UserFactory)() for _ in range(4)]
    for user in users[:3]:
        client = connection(ws_clients, address)
        await client.connect()
        await client.auth(token_for(user))

    client = connection(ws_clients, address)
    await client.connect()
    await client.send("auth", {"token": token_for(users[3])})
    await refused(client)

    elsewhere = connection(ws_clients, an_address())
    await elsewhere.connect()
    assert (await elsewhere.auth(token_for(users[3])))["data"]["user_id"] == users[3].pk


@override_settings(WS_CONNECTS_PER_USER=0, WS_CONNECTS_PER_ADDRESS=0)
async def test_no_cap_when_both_limits_are_zero(ws_clients):
    user = await db(UserFactory)()
    address = an_address()
    for _ in range(5):
        client = connection(ws_clients, address)
        await client.connect()
        await client.auth(token_for(user))


def test_a_cap_of_zero_writes_no_counter():
    with override_settings(WS_CONNECTS_PER_USER=0, WS_CONNECTS_PER_ADDRESS=3):
        assert [key.split(":")[2] for key in connection_counted(user_id=1, address="10.0.0.1").keys] == ["address"]
    with override_settings(WS_CONNECTS_PER_USER=0, WS_CONNECTS_PER_ADDRESS=0):
        assert connection_counted(user_id=1, address="10.0.0.1").keys == ()


async def test_a_refused_token_is_not_counted_before_it_is_checked(ws_clients):
    """Counting happens after the token checks out: a stranger cannot spend a user's budget."""
    with override_settings(WS_CONNECTS_PER_USER=1, WS_CONNECTS_PER_ADDRESS=0):
        user = await db(UserFactory)()
        for _ in range(3):
            bad = connection(ws_clients)
            await bad.connect()
            await bad.send("auth", {"token": token_for(user) + "x"})
            await bad.expect_error("auth_failed")
        good = connection(ws_clients)
        await good.connect()
        assert (await good.auth(token_for(user)))["data"]["user_id"] == user.pk


@pytest.mark.redis
async def test_two_layer_instances_count_one_window_together():
    """Two workers' layers on one Redis share the counters: the count is cluster-wide."""
    made = [
        QueueingRedisChannelLayer(hosts=[{"address": os.environ["REDIS_URL"]}], prefix=f"caps{uuid.uuid4().hex[:6]}")
        for _ in range(2)
    ]
    with override_settings(WS_CONNECTS_PER_USER=5, WS_CONNECTS_PER_ADDRESS=5):
        counted = connection_counted(user_id=10**9 + uuid.uuid4().int % 10**6, address=an_address())
    try:
        counts = []
        for layer in (*made, *made):
            channel = await layer.new_channel()
            counts.append(await layer.groups_add(["g"], channel, counters=counted.keys, counter_seconds=120))
        assert counts == [[1, 1], [2, 2], [3, 3], [4, 4]]
        ttl = await made[0].connection(0).ttl(counted.keys[0])
        assert 0 < ttl <= 120
    finally:
        redis = made[0].connection(0)
        await redis.delete(*counted.keys)
        for layer in made:
            await layer.flush()
            await layer.close_pools()
