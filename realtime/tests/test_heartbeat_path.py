"""A heartbeat never waits for the database: it is answered while the worker's database thread is stuck."""

import asyncio
import threading

import pytest

from realtime.tests.conftest import db, start_attempt

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_heartbeat_is_answered_while_the_database_thread_is_busy(ws_clients) -> None:
    started = await start_attempt(ws_clients)
    release = threading.Event()
    busy = asyncio.ensure_future(db(release.wait)(10))  # holds the thread every database call runs on
    await asyncio.sleep(0.05)
    try:
        await started.client.send("heartbeat", id="beat")
        (pong,) = await asyncio.wait_for(started.client.expect("pong"), timeout=1)
        assert pong["ref"] == "beat"
        assert not busy.done()  # the pong came while the database thread was still taken
    finally:
        release.set()
        await busy


async def test_an_answer_does_wait_for_the_database_thread(ws_clients) -> None:
    """The control: the same stuck thread does hold up a frame that needs the database."""
    started = await start_attempt(ws_clients)
    release = threading.Event()
    busy = asyncio.ensure_future(db(release.wait)(10))
    await asyncio.sleep(0.05)
    try:
        await started.client.send("get_question", id="again")
        assert await started.client.ws.receive_nothing(timeout=0.3)
    finally:
        release.set()
        await busy
    (question,) = await started.client.expect("question")
    assert question["ref"] == "again"
