"""Each worker process keeps the sessions of its open connections marked as seen.

A few UPDATEs per worker every JATAYU_SESSION_TOUCH_SECONDS, whatever its number of connections, and nothing from
clients: a hidden browser tab whose timers are throttled still counts as connected. Only the
connections this process really holds are touched, by (connection_id, epoch), so a row left behind by
a process that died, even one that had the same worker name, goes stale (see
`assessments.services.sessions.session_live_q`).
"""

import asyncio
import logging

from assessments.services.sessions import sessions_touch, touch_every
from realtime.db import db

logger = logging.getLogger(__name__)


class WorkerLiveness:
    def __init__(self) -> None:
        self.held: dict[str, tuple[str, int]] = {}  # channel name -> (connection_id, epoch)
        self.task: asyncio.Task[None] | None = None

    def hold(self, *, channel_name: str, connection_id: str, epoch: int) -> None:
        """A connection on this worker claimed its session: keep it seen while it is open."""
        self.held[channel_name] = (connection_id, epoch)
        task = self.task
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            self.task = asyncio.ensure_future(self._touch_every_round())

    def drop(self, *, channel_name: str) -> None:
        """The connection closed: with none left, stop touching."""
        self.held.pop(channel_name, None)
        if not self.held and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _touch_every_round(self) -> None:
        while True:
            await asyncio.sleep(touch_every().total_seconds())
            try:
                await db(sessions_touch)(held=list(self.held.values()))
            except Exception:
                logger.warning("marking this worker's sessions as seen failed; retrying next round", exc_info=True)


worker_liveness = WorkerLiveness()
