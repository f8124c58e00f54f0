"""Each worker process keeps the sessions it holds marked as seen, while it has any connections.

One UPDATE per worker every TOUCH_EVERY, whatever its number of connections, and nothing from
clients: a hidden browser tab whose timers are throttled still counts as connected. A worker that is
killed stops touching, so its rows go stale (see `assessments.services.sessions.session_live_q`).
"""

import asyncio
import logging

from channels.db import database_sync_to_async

from assessments.services.sessions import TOUCH_EVERY, sessions_touch_worker

logger = logging.getLogger(__name__)


class WorkerLiveness:
    def __init__(self) -> None:
        self.connections = 0
        self.task: asyncio.Task[None] | None = None

    def join(self, worker: str) -> None:
        """A connection opened on this worker: make sure the touching loop runs."""
        self.connections += 1
        if self.task is None or self.task.done() or self.task.get_loop() is not asyncio.get_running_loop():
            self.task = asyncio.ensure_future(self._touch_every_round(worker))

    def leave(self) -> None:
        """A connection closed: with none left, stop touching."""
        self.connections = max(0, self.connections - 1)
        if self.connections == 0 and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _touch_every_round(self, worker: str) -> None:
        while True:
            await asyncio.sleep(TOUCH_EVERY.total_seconds())
            try:
                await database_sync_to_async(sessions_touch_worker)(worker=worker)
            except Exception:
                logger.warning("marking this worker's sessions as seen failed; retrying next round", exc_info=True)


worker_liveness = WorkerLiveness()
