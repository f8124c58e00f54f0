"""In Chromium against a live daphne, the network going away loses no answer: ten seconds offline keep the
answer pending until it is sent, and an answer cut in flight (there or back) is stored exactly once.

How each cut is made, so the claims stay honest:
- offline: Playwright's `context.set_offline(True)` for 10 s; Chromium then refuses new connections
  and tells the page it is offline (an open socket is not cut by that emulation, so the page drops
  it itself on the `offline` event, as a real network change would);
- an answer in flight: the page's socket is routed through Playwright (`route_web_socket`), which
  forwards every frame, except that it swallows the one answer or its acknowledgement and cuts the
  connection at that moment.
"""

import asyncio
import json
import re
from typing import Any

import pytest
from channels.db import database_sync_to_async
from playwright.async_api import Browser, WebSocketRoute, expect

from assessments.tests.browser.candidate import (
    Candidate,
    answered_responses,
    attempt_of,
    candidate_who_can_sign_in,
    events_answering,
    responses_to,
    right_and_wrong,
)
from assessments.tests.browser.resilience import answer_right, started
from testsupport.live import Cluster

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]
db = database_sync_to_async

ASSESSMENT_SOCKET = re.compile(r".*/ws/assessment/\d+/$")


# ---------------------------------------------------------------- the network goes away


async def test_ten_seconds_offline_keeps_the_answer_pending_and_sends_it_once_back_online(
    live: Cluster, browser: Browser
) -> None:
    test, _, context, tab = await started(live, browser)
    page = tab.page
    first = await answer_right(tab)
    await tab.next()
    second = await tab.wait_for_question(position=2)
    right, _ = await db(right_and_wrong)(question_id=second)

    await context.set_offline(True)
    await expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    await expect(page.locator("#connection-text")).to_contain_text("You are offline")
    await tab.dot_painted("--warn")
    await tab.choose(right)
    await tab.submit()
    answer_state = page.locator("#answer-state")
    await expect(answer_state).to_have_attribute("data-state", "pending")
    await expect(answer_state).to_contain_text("will be sent when the connection returns")
    pending = await page.evaluate(f"JSON.parse(sessionStorage.getItem('jatayu.pending.{test.pk}'))")
    assert [(p["question_id"], p["selected_option"]) for p in pending] == [
        (second, int(await page.locator(".option.chosen").get_attribute("data-index") or -1))
    ]
    await tab.shot("10-offline-pending")
    await asyncio.sleep(10)  # the length of the outage is the point of this test
    assert await db(responses_to)(test=test, question_id=second) == [
        r for r in await db(responses_to)(test=test, question_id=second) if r.answered_at is None
    ]
    await expect(page.locator("#connection")).to_have_attribute("data-state", "offline")

    await context.set_offline(False)
    await tab.wait_connected()
    await tab.wait_saved()
    assert await tab.question_id() == second
    await expect(page.locator("#feedback-title")).to_have_text("Correct.")
    await expect(page.locator("#progress-text")).to_have_text("2 of 3 answered")
    assert await page.evaluate(f"sessionStorage.getItem('jatayu.pending.{test.pk}')") is None

    [stored] = await db(responses_to)(test=test, question_id=second)
    assert stored.answered_at is not None
    assert stored.client_msg_id == pending[0]["id"]
    assert [r.question_id for r in await db(answered_responses)(test=test)] == [first, second]
    assert tab.errors == []


# ---------------------------------------------------------------- an answer in flight


class Cutter:
    """Routes the page's assessment socket through Playwright, forwarding every frame both ways,
    until it is armed: then it swallows the next answer (`way="there"`) or its acknowledgement
    (`way="back"`), and cuts the connection on both sides at that moment."""

    def __init__(self, way: str) -> None:
        self.way = way
        self.armed = False
        self.cut = False
        self.connections = 0
        self.sent_answers: list[dict[str, Any]] = []

    async def route(self, page_side: WebSocketRoute) -> None:
        self.connections += 1
        server_side = page_side.connect_to_server()

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") == "submit_answer":
                self.sent_answers.append(frame)
                if self.armed and not self.cut and self.way == "there":
                    self._cut(page_side, server_side)
                    return
            server_side.send(message)

        def from_server(message: str | bytes) -> None:
            frame = json.loads(message)
            if self.armed and not self.cut and self.way == "back" and frame.get("type") == "answer_feedback":
                self._cut(page_side, server_side)
                return
            page_side.send(message)

        page_side.on_message(from_page)
        server_side.on_message(from_server)

    def _cut(self, page_side: WebSocketRoute, server_side: WebSocketRoute) -> None:
        self.cut = True
        self.tasks = [
            asyncio.ensure_future(page_side.close(code=1006, reason="network cut")),
            asyncio.ensure_future(server_side.close()),
        ]


@pytest.mark.parametrize("way", ["there", "back"])
async def test_an_answer_sent_just_before_a_drop_is_stored_exactly_once(
    live: Cluster, browser: Browser, way: str
) -> None:
    test, candidate = await db(candidate_who_can_sign_in)()
    context = await browser.new_context()
    cutter = Cutter(way)
    await context.route_web_socket(ASSESSMENT_SOCKET, cutter.route)
    tab = await Candidate.open(context, live.w1, candidate.username)
    page = tab.page
    await tab.sign_in()
    await tab.open_assessment(test)
    await tab.start()
    first = await answer_right(tab)
    await tab.next()
    second = await tab.wait_for_question(position=2)
    right, _ = await db(right_and_wrong)(question_id=second)

    cutter.armed = True
    await tab.choose(right)
    await tab.submit()
    await tab.wait_saved()
    await tab.wait_connected()
    assert cutter.cut
    assert cutter.connections == 2  # the cut one, and the one the page reconnected on
    assert await tab.question_id() == second
    await expect(page.locator("#feedback-title")).to_have_text("Correct.")
    await expect(page.locator("#progress-text")).to_have_text("2 of 3 answered")

    # The page sent that answer twice with one id; the server stored it once and reported it once.
    answers = [frame for frame in cutter.sent_answers if frame["data"]["question_id"] == second]
    assert len(answers) >= 2
    assert len({frame["id"] for frame in answers}) == 1
    answer_id = answers[0]["id"]
    [response] = await db(responses_to)(test=test, question_id=second)
    assert response.answered_at is not None
    assert response.client_msg_id == answer_id
    assert await db(events_answering)(test=test, ref=answer_id) == ["answer_feedback", "progress_update", "question"]
    assert [r.question_id for r in await db(answered_responses)(test=test)] == [first, second]
    assert (await db(attempt_of)(test=test)).score == 2
    assert tab.errors == []
