"""Each worker process keeps the sessions of its open connections marked as seen, and notices the
ones a newer connection took over.

A few UPDATEs per worker every JATAYU_SESSION_TOUCH_SECONDS, whatever its number of connections, and nothing from
clients: a hidden browser tab whose timers are throttled still counts as connected. Only the
connections this process really holds are touched, by (connection_id, epoch), so a row left behind by
a process that died, even one that had the same worker name, goes stale (see
`assessments.selectors.sessions.session_live_q`).

The kick-out over the channel layer is at most once and needs Redis. When a round touches fewer
sessions than it holds, the ones taken over are told here, in process: a missed kick-out closes its
socket within one round. After a channel-layer outage, every open connection of the process joins
its groups again (a restarted Redis has forgotten them) and a round runs at once.

Each round also reads again the question banks this process holds that are half their refresh age old
(`selectors.bank.banks_refresh`): calibration and exposure counts move without a new bank version, and
read here, between frames, an answer seldom pays for them.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assessments.clock import clock_measure
from assessments.selectors.bank import bank_refresh_seconds, banks_refresh
from assessments.selectors.sessions import touch_every
from assessments.services.sessions import sessions_superseded, sessions_touch
from realtime.db import db
from realtime.layers import groups_add, memberships_kept, memberships_marked

logger = logging.getLogger(__name__)
REJOIN_RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class Held:
    connection_id: str
    epoch: int
    groups: list[str]  # the consumer's own list of the groups it joined
    superseded: Callable[[], None]  # tells the consumer that a newer connection holds its session


class WorkerLiveness:
    def __init__(self) -> None:
        self.held: dict[str, Held] = {}  # channel name -> its connection
        self.task: asyncio.Task[None] | None = None
        self.layer_failed = False
        self.recovery: asyncio.Task[None] | None = None

    def hold(self, *, channel_name: str, held: Held, layer: Any) -> None:
        """A connection on this worker claimed its session: keep it seen while it is open."""
        self.held[channel_name] = held
        task = self.task
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            self.task = asyncio.ensure_future(self._touch_every_round(layer))

    def drop(self, *, channel_name: str) -> None:
        """The connection closed: with none left, stop touching."""
        self.held.pop(channel_name, None)
        if not self.held and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _touch_every_round(self, layer: Any) -> None:
        with contextlib.suppress(Exception):  # Redis down: the next outage then rejoins all
            await memberships_marked(layer)
        while True:
            await asyncio.sleep(touch_every().total_seconds())
            await self.touch_round()

    async def touch_round(self) -> None:
        held = dict(self.held)
        pairs = [(h.connection_id, h.epoch) for h in held.values()]
        try:
            await db(clock_measure)()
            touched = await db(sessions_touch)(held=pairs)
            gone = set(await db(sessions_superseded)(held=pairs)) if touched < len(pairs) else set()
        except Exception:
            logger.warning("marking this worker's sessions as seen failed; retrying next round", exc_info=True)
            return
        for channel_name, h in held.items():
            if (h.connection_id, h.epoch) in gone and self.held.get(channel_name) is h:
                h.superseded()
        try:
            # Calibration and exposure counts move on without a new bank version: read them here,
            # between frames, so an answer seldom finds its bank past the refresh age.
            await db(banks_refresh)(older_than=bank_refresh_seconds() / 2)
        except Exception:
            logger.warning("refreshing this worker's question banks failed; answers refresh them", exc_info=True)

    def channel_layer_failed(self) -> None:
        self.layer_failed = True

    def channel_layer_back(self, layer: Any) -> None:
        """The first consumer to hear the channel layer again after an outage has every connection of
        the process join its groups again; the others find it done."""
        if not self.layer_failed:
            return
        self.layer_failed = False
        if self.recovery is None or self.recovery.done():
            self.recovery = asyncio.ensure_future(self._rejoin_all(layer))

    async def _rejoin_all(self, layer: Any) -> None:
        """Join every held connection's groups again, unless Redis kept them: a failed call (say, a pool
        wait in a storm of connects) is not a lost Redis, and rejoining thousands would only add load."""
        delay = REJOIN_RETRY_SECONDS
        while True:
            try:
                if await memberships_kept(layer):
                    logger.warning("channel layer back; it kept this worker's group memberships")
                else:
                    for channel_name, h in list(self.held.items()):
                        await groups_add(layer, list(h.groups), channel_name)
                    await memberships_marked(layer)
                    logger.warning("channel layer back: %d connections joined their groups again", len(self.held))
                break
            except Exception:
                logger.warning("joining the groups again failed; retrying in %s s", delay, exc_info=True)
                await asyncio.sleep(delay)
        await self.touch_round()


worker_liveness = WorkerLiveness()
