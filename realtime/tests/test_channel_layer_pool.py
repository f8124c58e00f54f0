"""A burst of channel-layer calls larger than the Redis pool queues for a connection instead of failing."""

import asyncio
import os

import pytest
from channels_redis.core import RedisChannelLayer

from realtime.layers import QueueingRedisChannelLayer

pytestmark = pytest.mark.redis

BURST = 60


def layer(kind: type[RedisChannelLayer], **pool: object) -> RedisChannelLayer:
    return kind(hosts=[{"address": os.environ["REDIS_URL"], "max_connections": 2, **pool}], prefix="pooltest")


async def burst(channel_layer: RedisChannelLayer) -> list[BaseException | None]:
    joins = [channel_layer.group_add(f"g{i}", f"specific.pooltest!c{i}") for i in range(BURST)]
    try:
        return await asyncio.gather(*joins, return_exceptions=True)
    finally:
        await channel_layer.flush()
        await channel_layer.close_pools()


async def test_sixty_group_joins_on_a_pool_of_two_all_succeed() -> None:
    outcomes = await burst(layer(QueueingRedisChannelLayer, timeout=10))

    assert [o for o in outcomes if o is not None] == []


async def test_the_stock_layer_fails_the_same_burst() -> None:
    """The control: redis-py's default pool raises once its two connections are taken."""
    outcomes = await burst(layer(RedisChannelLayer))

    assert any(type(o).__name__ == "MaxConnectionsError" for o in outcomes)


async def test_groups_joined_in_one_pipeline_hear_their_group_sends() -> None:
    channel_layer = layer(QueueingRedisChannelLayer, timeout=10)
    channel = await channel_layer.new_channel()
    try:
        await channel_layer.groups_add(["user_1", "test_2"], channel)
        for group in ("user_1", "test_2"):
            await channel_layer.group_send(group, {"type": "hello", "group": group})
            assert (await channel_layer.receive(channel))["group"] == group
        redis = channel_layer.connection(0)
        assert 0 < await redis.ttl(channel_layer._group_key("test_2")) <= channel_layer.group_expiry
    finally:
        await channel_layer.flush()
        await channel_layer.close_pools()


async def test_the_process_mark_tells_a_redis_that_kept_its_memberships_from_one_restarted_empty() -> None:
    from realtime.layers import PROCESS_MARK, memberships_kept, memberships_marked

    channel_layer = layer(QueueingRedisChannelLayer, timeout=10)
    redis = channel_layer.connection(0)
    try:
        await redis.delete(PROCESS_MARK)  # this process's consumers may have marked it already
        assert not await memberships_kept(channel_layer)
        await memberships_marked(channel_layer)
        assert await memberships_kept(channel_layer)  # say, only a pool wait failed
        # What a restart without persistence leaves: nothing of this process's.
        await redis.delete(*[key async for key in redis.scan_iter(match="jatayu:memberships-kept:*")])
        assert not await memberships_kept(channel_layer)
    finally:
        await channel_layer.flush()
        await channel_layer.close_pools()
