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
