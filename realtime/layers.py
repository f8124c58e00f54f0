"""The channel layer: channels_redis, with a Redis connection pool that waits instead of failing.

redis-py's default pool raises `MaxConnectionsError` once it holds `max_connections`; in a storm of
connects (each joins two groups) that failed authentications, and a higher cap only opened
hundreds of Redis connections, each with its buffers. A blocking pool makes a burst queue for a
connection for up to `timeout` seconds instead.
"""

from typing import Any

from channels_redis.core import RedisChannelLayer
from redis.asyncio import BlockingConnectionPool


class QueueingRedisChannelLayer(RedisChannelLayer):
    def create_pool(self, index: int) -> Any:
        host = dict(self.hosts[index])
        return BlockingConnectionPool.from_url(host.pop("address"), **host)
