"""The channel layer: channels_redis, with a Redis connection pool that waits instead of failing, and
joining several groups in one round trip (with the connection counters of realtime.admission).

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

    async def groups_add(
        self, groups: Sequence[str], channel: str, *, counters: Sequence[str] = (), counter_seconds: int = 60
    ) -> list[int]:
        """`group_add` for each group, in one pipeline per Redis host instead of two round trips a group;
        each of `counters` is incremented in the first host's pipeline (kept `counter_seconds`), and
        their new values are returned."""
        self.require_valid_channel_name(channel)  # raises TypeError when it is not
        by_host: dict[int, list[str]] = defaultdict(list)
        for group in groups:
            self.require_valid_group_name(group)
            by_host[self.consistent_hash(group)].append(group)
        if counters:
            by_host.setdefault(0, [])  # counters live on the first host
        counts: list[int] = []
        for index, these in by_host.items():
            async with self.connection(index).pipeline(transaction=False) as pipe:
                for group in these:
                    pipe.zadd(self._group_key(group), {channel: time.time()})
                    pipe.expire(self._group_key(group), self.group_expiry)
                if index == 0:
                    for key in counters:
                        pipe.incr(key)
                        pipe.expire(key, counter_seconds, nx=True)
                results = await pipe.execute()
            if index == 0 and counters:
                counts = [int(value) for value in results[2 * len(these) :: 2]]
        return counts


# Counters of a layer without Redis (the in-memory one: a single process): key -> (count, kept until).
_local_counts: dict[str, tuple[int, float]] = {}


def _count_locally(counters: Sequence[str], counter_seconds: int) -> list[int]:
    now = time.monotonic()
    for key, (_, until) in list(_local_counts.items()):
        if until <= now:
            del _local_counts[key]
    counts = []
    for key in counters:
        count, until = _local_counts.get(key, (0, now + counter_seconds))
        _local_counts[key] = (count + 1, until)
        counts.append(count + 1)
    return counts


async def groups_add(
    layer: Any, groups: Sequence[str], channel: str, *, counters: Sequence[str] = (), counter_seconds: int = 60
) -> list[int]:
    """Add `channel` to every group and count `counters` up: in one round trip where the layer can,
    one by one elsewhere (and the counters in this process)."""
    add_all = getattr(layer, "groups_add", None)
    if add_all is not None:
        return list(await add_all(groups, channel, counters=counters, counter_seconds=counter_seconds))
    for group in groups:
        await layer.group_add(group, channel)
    return _count_locally(counters, counter_seconds)


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
