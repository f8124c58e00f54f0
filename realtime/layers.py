"""The channel layer: channels_redis, with a Redis connection pool that waits instead of failing, and
joining several groups in one round trip.

redis-py's default pool raises `MaxConnectionsError` once it holds `max_connections`; in a storm of
connects (each joins two groups) that failed authentications, and a higher cap only opened
hundreds of Redis connections, each with its buffers. A blocking pool makes a burst queue for a
connection for up to `timeout` seconds instead.
"""

import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from channels_redis.core import RedisChannelLayer
from redis.asyncio import BlockingConnectionPool


class QueueingRedisChannelLayer(RedisChannelLayer):
    def create_pool(self, index: int) -> Any:
        host = dict(self.hosts[index])
        return BlockingConnectionPool.from_url(host.pop("address"), **host)

    async def groups_add(self, groups: Sequence[str], channel: str) -> None:
        """`group_add` for each group, in one pipeline per Redis host instead of two round trips a group."""
        self.require_valid_channel_name(channel)  # raises TypeError when it is not
        by_host: dict[int, list[str]] = defaultdict(list)
        for group in groups:
            self.require_valid_group_name(group)
            by_host[self.consistent_hash(group)].append(group)
        for index, these in by_host.items():
            async with self.connection(index).pipeline(transaction=False) as pipe:
                for group in these:
                    pipe.zadd(self._group_key(group), {channel: time.time()})
                    pipe.expire(self._group_key(group), self.group_expiry)
                await pipe.execute()


async def groups_add(layer: Any, groups: Sequence[str], channel: str) -> None:
    """Add `channel` to every group: in one round trip where the layer can, one by one elsewhere."""
    add_all = getattr(layer, "groups_add", None)
    if add_all is not None:
        await add_all(groups, channel)
        return
    for group in groups:
        await layer.group_add(group, channel)


# A key only this process writes: still there after an outage, Redis kept every group membership
# (it was not restarted empty, or it persists); gone, they must be joined again.
PROCESS_MARK = f"jatayu:memberships-kept:{uuid.uuid4().hex}"


async def memberships_marked(layer: Any) -> None:
    if isinstance(layer, RedisChannelLayer):
        await layer.connection(0).set(PROCESS_MARK, 1, ex=layer.group_expiry)


async def memberships_kept(layer: Any) -> bool:
    """Whether Redis still holds what this process marked (a layer without Redis never loses it).
    One host is asked: with several, a restart of another one is not noticed here."""
    if not isinstance(layer, RedisChannelLayer):
        return True
    return bool(await layer.connection(0).exists(PROCESS_MARK))
