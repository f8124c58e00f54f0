"""A heartbeat never waits for the database: it is answered while every database thread of the worker is stuck."""

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from django.conf import settings

from realtime.db import db
from testsupport.sockets import start_attempt

pytestmark = pytest.mark.django_db(transaction=True)


@asynccontextmanager
async def _stuck() -> AsyncIterator[asyncio.Future[list[bool]]]:
    """Every thread socket database work runs on (realtime.db) waits until the test ends."""
    release = threading.Event()
    busy = asyncio.gather(*(db(release.wait)(10) for _ in range(settings.JATAYU_DB_THREADS)))
    await asyncio.sleep(0.05)
    try:
        yield busy
    finally:
        release.set()
        await busy


async def test_a_heartbeat_is_answered_while_the_database_threads_are_stuck(ws_clients) -> None:
    started = await start_attempt(ws_clients)
    async with _stuck() as busy:
        await started.client.send("heartbeat", id="beat")
        (pong,) = await asyncio.wait_for(started.client.expect("pong"), timeout=1)
        assert pong["ref"] == "beat"
        assert not busy.done()  # the pong came while every database thread was still taken


async def test_an_answer_does_wait_for_a_database_thread(ws_clients) -> None:
    """The control: the same stuck threads do hold up a frame that needs the database."""
    started = await start_attempt(ws_clients)
    async with _stuck():
        await started.client.send("get_question", id="again")
        assert await started.client.ws.receive_nothing(timeout=0.3)
    (question,) = await started.client.expect("question")
    assert question["ref"] == "again"
