"""In Chromium against a live daphne (issue 15): the candidate's page reports the round trip its
heartbeats measure, so answers carry it, and when its server dies and comes back the page says how
much time the lost connection gave back. Sessions are touched every 0.3 s and stale after 1.5 s."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from playwright.async_api import Browser, WebSocket, expect

from assessments.models import Response
from assessments.tests.browser.candidate import RECONNECT_MS, Candidate, attempt_of, candidate_who_can_sign_in
from assessments.tests.browser.resilience import answer_right
from testsupport.live import Cluster, live_cluster

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]
db = database_sync_to_async
QUICK = {"JATAYU_SESSION_TOUCH_SECONDS": "0.3", "JATAYU_SESSION_STALE_SECONDS": "1.5"}
OFFLINE_SECONDS = 3  # how long the server is gone: the scenario itself


@pytest.fixture
async def live(transactional_db: None, tmp_path: Path) -> AsyncIterator[Cluster]:
    """The browser tests' one worker, with sessions that go stale within two seconds."""
    async with live_cluster(tmp_path, count=1, env_overrides=QUICK) as cluster:
        yield cluster


class Frames:
    """What the page sent and received on all its sockets, in order."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []

    def attach(self, socket: WebSocket) -> None:
        socket.on("framesent", lambda payload: self.sent.append(json.loads(payload)))
        socket.on("framereceived", lambda payload: self.received.append(json.loads(payload)))

    async def wait_received(self, message_type: str, count: int) -> None:
        give_up = time.monotonic() + RECONNECT_MS / 1000
        while sum(m["type"] == message_type for m in self.received) < count:
            assert time.monotonic() < give_up, f"the page did not receive {count} {message_type}"
            await asyncio.sleep(0.05)


def answered(*, question_id: int) -> Response:
    return Response.objects.get(question_id=question_id, answered_at__isnull=False)


async def test_the_page_reports_its_round_trip_and_says_what_a_lost_connection_gave_back(
    live: Cluster, browser: Browser
) -> None:
    test, candidate = await db(candidate_who_can_sign_in)(disconnect_policy="credit")
    context = await browser.new_context()
    tab = await Candidate.open(context, live.w1, candidate.username)
    frames = Frames()
    tab.page.on("websocket", frames.attach)
    await tab.sign_in()
    await tab.open_assessment(test)
    await tab.start()
    await tab.wait_connected()

    # A heartbeat goes out every 15 s and whenever the tab shows again: the first one measures, the next reports.
    for pongs in (1, 2):
        await tab.page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        await frames.wait_received("pong", pongs)
    question_id = await answer_right(tab)
    reported = [m["data"]["rtt_ms"] for m in frames.sent if m["type"] == "heartbeat" and "rtt_ms" in m["data"]]
    assert reported, [m for m in frames.sent if m["type"] == "heartbeat"]
    assert all(isinstance(ms, int) and 0 <= ms <= 10_000 for ms in reported)
    assert (await db(answered)(question_id=question_id)).round_trip_ms == reported[-1]

    await live.w1.kill()  # the server dies with the candidate on it: the session is never released
    await asyncio.sleep(OFFLINE_SECONDS)
    live.w1.start()
    await live.w1.wait_ready()
    await tab.wait_connected()

    await expect(tab.page.locator("#time-announcer")).to_contain_text("Time given back for the lost connection")
    attempt = await db(attempt_of)(test=test)
    assert attempt.disconnect_credit_seconds >= OFFLINE_SECONDS
    await expect(tab.page.locator("#time-announcer")).to_contain_text(
        f"{attempt.disconnect_credit_seconds} s; you now have"
    )
    assert tab.errors == []
