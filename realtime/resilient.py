"""The base of Jatayu's WebSocket consumer: what any long-lived JSON socket here needs, apart from
the protocol.

- Groups are joined (with the connection counters in the same round trip) and left here, and a
  channel-layer outage does not end the socket (channels would close it with 1011): receiving
  retries, and the groups are joined again once Redis is back.
- Frames are handled straight away, without channels' hop onto the database thread first.
- Timers and background tasks belong to the connection, and end with it, however it ends.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from realtime.admission import WINDOW_SECONDS, Counted
from realtime.layers import groups_add
from realtime.liveness import worker_liveness

logger = logging.getLogger(__name__)
LAYER_RETRY_FIRST_SECONDS, LAYER_RETRY_MAX_SECONDS = 0.2, 2.0


class ResilientJsonConsumer(AsyncJsonWebsocketConsumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.timers: dict[str, asyncio.TimerHandle] = {}  # lighter than a sleeping task per connection
        self.groups_joined: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # However the consumer ended (disconnect() may not have run: daphne cancels an application
            # that takes too long to close), its session is no longer kept seen, and its timers and
            # tasks (the deadline's, a chat's) do not outlive it.
            if hasattr(self, "channel_name"):
                worker_liveness.drop(channel_name=self.channel_name)
            self._background_stop()

    def _background_stop(self) -> None:
        # Popped as well as cancelled: a cancelled task keeps its traceback, whose frames hold this
        # consumer, and a consumer holding the task back would be a cycle only a full collection frees.
        for name in list(self.timers):
            self._cancel_later(name)
        for name in list(self.tasks):
            self._cancel_task(name)

    @property
    def channel_receive(self) -> Callable[[], Awaitable[dict[str, Any]]]:
        return self._channel_receive_through_outages

    @channel_receive.setter
    def channel_receive(self, receive: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        # Channels sets this to the layer's receive; a failing receive would end the consumer (1011).
        self._layer_receive = receive

    async def _channel_receive_through_outages(self) -> dict[str, Any]:
        """The next channel-layer event. While Redis is unreachable the socket stays open: answers need
        only the database, and a takeover is fenced by the epoch. Once Redis is back, the groups are
        joined again (a restarted Redis has forgotten them) and events flow again."""
        delay, failed = LAYER_RETRY_FIRST_SECONDS, False
        while True:
            try:
                if failed:
                    await groups_add(self.channel_layer, self.groups_joined, self.channel_name)
                    logger.warning("channel layer reachable again for %s", self.channel_name)
                    failed = False
                    worker_liveness.channel_layer_back(self.channel_layer)
                return await self._layer_receive()
            except asyncio.CancelledError:
                raise
            except Exception:
                if not failed:
                    logger.warning("channel layer unreachable for %s; retrying", self.channel_name, exc_info=True)
                failed = True
                worker_liveness.channel_layer_failed()
                await asyncio.sleep(delay)
                delay = min(2 * delay, LAYER_RETRY_MAX_SECONDS)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Run the handler straight away. Channels first hops onto the database thread to close stale
        connections, which queues every frame (a heartbeat too) behind the worker's database work;
        here each database call closes its own, on its own thread (`realtime.db`)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return orjson.dumps(content).decode()

    def _start_later(self, name: str, delay: float, start: Callable[[], Awaitable[None]]) -> None:
        """Run `start()` as task `name` after `delay` seconds, unless cancelled first."""
        self._cancel_later(name)
        loop = asyncio.get_running_loop()
        self.timers[name] = loop.call_later(max(0.0, delay), lambda: self._start_task(name, start()))

    def _cancel_later(self, name: str) -> None:
        timer = self.timers.pop(name, None)
        if timer is not None:
            timer.cancel()

    def _start_task(self, name: str, coro: Awaitable[None]) -> None:
        self._cancel_task(name)
        task = self.tasks[name] = asyncio.ensure_future(coro)
        task.add_done_callback(self._task_forget)

    def _task_forget(self, task: "asyncio.Task[None]") -> None:
        """A finished task leaves `tasks` (its traceback, if it failed, holds this consumer)."""
        for name, kept in list(self.tasks.items()):
            if kept is task:
                del self.tasks[name]

    def _task_running(self, name: str) -> bool:
        task = self.tasks.get(name)
        return task is not None and not task.done()

    def _cancel_task(self, name: str) -> None:
        task = self.tasks.pop(name, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _join(self, *groups: str, counting: Counted | None = None) -> list[int]:
        """Join `groups`; with `counting`, count its connection counters up in the same round trip."""
        self.groups_joined.extend(groups)  # left at disconnect even if joining failed half-way
        if counting is None:
            return await groups_add(self.channel_layer, groups, self.channel_name)
        return await groups_add(
            self.channel_layer, groups, self.channel_name, counters=counting.keys, counter_seconds=2 * WINDOW_SECONDS
        )

    def _client_address(self) -> str | None:
        client = self.scope.get("client")
        return str(client[0]) if client else None

    async def _groups_leave(self) -> None:
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # Redis unreachable: the membership expires with group_expiry
                logger.warning("could not leave %s; it expires by itself", group, exc_info=True)
