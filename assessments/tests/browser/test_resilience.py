"""What candidates of other platforms lose answers to, in Chromium against a live daphne: the server
dropping the socket, the network going away, a second window, a wrong clock, an answer in flight.

How each cut is made, so the claims stay honest:
- server drop: the daphne process is killed (SIGKILL, as in a crash or a redeploy) and started again
  on the same port; the page only sees its socket die;
- server close: the page is given a real access token of the same candidate that expires a few
  seconds in; the server closes the socket itself (`token_expired`, code 4001) when it does;
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
import time
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from playwright.async_api import Browser, BrowserContext, ViewportSize, WebSocketRoute, expect

from assessments.models import Assessment, Test
from assessments.services.attempt_control import assessment_extend
from assessments.tests.browser.candidate import (
    Candidate,
    SocketLog,
    answered_responses,
    attempt_of,
    candidate_who_can_sign_in,
    events_answering,
    responses_to,
    right_and_wrong,
    seconds_left_on_server,
    short_lived_token,
)
from testsupport.live import Cluster

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]
db = database_sync_to_async
ASSESSMENT_SOCKET = re.compile(r".*/ws/assessment/\d+/$")


async def started(
    live: Cluster, browser: Browser, *, viewport: ViewportSize | None = None, **test_fields: Any
) -> tuple[Test, Any, BrowserContext, Candidate]:
    """A candidate signed in, with the first question of a fresh attempt on screen."""
    test, candidate = await db(candidate_who_can_sign_in)(**test_fields)
    context = await browser.new_context(viewport=viewport or {"width": 1100, "height": 850})
    tab = await Candidate.open(context, live.w1, candidate.username)
    await tab.sign_in()
    await tab.open_assessment(test)
    await tab.start()
    await tab.wait_connected()
    return test, candidate, context, tab


async def answer_right(tab: Candidate) -> int:
    question_id = await tab.question_id()
    right, _ = await db(right_and_wrong)(question_id=question_id)
    await tab.answer(right)
    return question_id


# ---------------------------------------------------------------- the server goes away


async def test_after_the_server_restarts_the_page_reconnects_with_the_same_question_and_nothing_lost(
    live: Cluster, browser: Browser
) -> None:
    test, _, _, tab = await started(live, browser)
    page = tab.page
    first = await answer_right(tab)
    await tab.next()
    second = await tab.wait_for_question(position=2)
    right, _ = await db(right_and_wrong)(question_id=second)
    await tab.choose(right)  # chosen, not yet submitted

    await live.w1.kill()
    await expect(page.locator("#connection")).to_have_attribute("data-state", re.compile("reconnecting|offline"))
    await expect(page.locator("#connection-text")).to_contain_text("Reconnecting")
    await tab.shot("09-reconnecting")
    live.w1.start()
    await live.w1.wait_ready()

    await tab.wait_connected()
    assert await tab.question_id() == second
    await expect(page.locator(".option.chosen")).to_contain_text(right)  # the choice is still there
    await expect(page.locator("#progress-text")).to_have_text("1 of 3 answered")
    await tab.submit()
    await tab.wait_saved()
    await tab.next()
    third = await answer_right(tab)
    await tab.next()
    await expect(page.locator("#completed-title")).to_have_text("Assessment complete")

    assert [r.question_id for r in await db(answered_responses)(test=test)] == [first, second, third]
    assert (await db(attempt_of)(test=test)).score == 3
    assert tab.errors == []


async def test_when_the_server_closes_the_socket_on_token_expiry_the_page_resumes_with_a_fresh_token(
    live: Cluster, browser: Browser
) -> None:
    test, candidate = await db(candidate_who_can_sign_in)()
    context = await browser.new_context()
    tab = await Candidate.open(context, live.w1, candidate.username)
    page = tab.page
    sockets = SocketLog()
    page.on("websocket", sockets.attach)
    await tab.sign_in()
    # As if this page had been open for nearly the token's whole life: it expires in 8 s.
    token = await db(short_lived_token)(user=candidate, seconds=8)
    await page.evaluate("token => sessionStorage.setItem('jatayu.access', token)", token)
    await tab.open_assessment(test)
    await tab.start()
    first = await answer_right(tab)
    await tab.next()
    second = await tab.wait_for_question(position=2)

    # The server closes the first socket itself; the page comes back on a second one.
    await sockets.wait_for(2)
    await tab.wait_connected()
    assert sockets.sockets[0]["closed"]
    closing = sockets.sockets[0]["received"][-1]
    assert (closing["type"], closing["data"].get("code")) == ("error", "token_expired"), (
        f"the first socket did not end with the server's token_expired, but after {closing}: see the worker log"
    )
    hello = sockets.sockets[1]["received"][0]
    assert hello["type"] == "auth_success"
    assert hello["data"]["recovered"] is True
    assert all("token" not in entry["url"] for entry in sockets.sockets)
    refreshed = await page.evaluate("sessionStorage.getItem('jatayu.access')")
    assert refreshed != token

    assert await tab.question_id() == second
    await expect(page.locator("#progress-text")).to_have_text("1 of 3 answered")
    await answer_right(tab)
    await tab.next()
    await answer_right(tab)
    await tab.next()
    await expect(page.locator("#completed-title")).to_have_text("Assessment complete")
    answered = await db(answered_responses)(test=test)
    assert [r.question_id for r in answered][:2] == [first, second]
    assert (await db(attempt_of)(test=test)).score == 3
    assert tab.errors == []


async def test_an_idle_page_keeps_its_socket(live: Cluster, browser: Browser) -> None:
    """Nothing is sent for 8 s (heartbeats come every 15 s): the connection must simply stay up."""
    test, candidate = await db(candidate_who_can_sign_in)()
    context = await browser.new_context()
    tab = await Candidate.open(context, live.w1, candidate.username)
    sockets = SocketLog()
    tab.page.on("websocket", sockets.attach)
    await tab.sign_in()
    await tab.open_assessment(test)
    await tab.start()
    await tab.wait_connected()

    await asyncio.sleep(8)  # idleness is the point of this test

    assert len(sockets.sockets) == 1, "the server dropped an idle connection: see the worker log"
    assert not sockets.sockets[0]["closed"]
    await expect(tab.page.locator("#connection")).to_have_attribute("data-state", "online")
    assert tab.errors == []


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


# ---------------------------------------------------------------- a second window


async def test_a_second_window_takes_over_and_the_first_can_take_it_back(live: Cluster, browser: Browser) -> None:
    test, candidate, _, first_tab = await started(live, browser)
    await answer_right(first_tab)
    await first_tab.next()
    question = await first_tab.wait_for_question(position=2)

    other = await browser.new_context(viewport={"width": 1100, "height": 850})
    second_tab = await Candidate.open(other, live.w1, candidate.username)
    await second_tab.sign_in()
    await second_tab.open_assessment(test)
    assert await second_tab.wait_for_question(position=2) == question
    await expect(second_tab.page.locator("#progress-text")).to_have_text("1 of 3 answered")

    takeover = first_tab.page.get_by_role("heading", name="This assessment continues in another window")
    await expect(takeover).to_be_visible()
    await expect(first_tab.page.locator("#question-form")).to_be_hidden()
    await first_tab.shot("11-takeover")

    # Back to the first window: it continues, and now the second one shows the takeover screen.
    await first_tab.page.get_by_role("button", name="Continue in this window").click()
    await first_tab.wait_connected()
    assert await first_tab.question_id() == question
    await expect(
        second_tab.page.get_by_role("heading", name="This assessment continues in another window")
    ).to_be_visible()
    await answer_right(first_tab)
    await expect(first_tab.page.locator("#progress-text")).to_have_text("2 of 3 answered")

    assert len(await db(answered_responses)(test=test)) == 2
    assert await db(Assessment.objects.filter(test=test).count)() == 1
    assert first_tab.errors == []
    assert second_tab.errors == []


async def test_a_window_that_was_offline_during_a_takeover_does_not_grab_the_session_back(
    live: Cluster, browser: Browser
) -> None:
    test, candidate, first_context, first_tab = await started(live, browser)
    question = await first_tab.question_id()
    await first_context.set_offline(True)  # the first window misses the takeover while offline
    await expect(first_tab.page.locator("#connection")).to_have_attribute("data-state", "offline")

    other = await browser.new_context(viewport={"width": 1100, "height": 850})
    second_tab = await Candidate.open(other, live.w1, candidate.username)
    await second_tab.sign_in()
    await second_tab.open_assessment(test)
    assert await second_tab.wait_for_question(position=1) == question

    await first_context.set_offline(False)  # back online, the first window reconnects by itself
    takeover = first_tab.page.get_by_role("heading", name="This assessment continues in another window")
    await expect(takeover).to_be_visible()
    await expect(second_tab.page.locator("#connection")).to_have_attribute("data-state", "online")
    await answer_right(second_tab)
    await expect(second_tab.page.locator("#progress-text")).to_have_text("1 of 3 answered")
    assert second_tab.errors == []


# ---------------------------------------------------------------- the clock


SHIFT_CLOCK = """
(() => {
  const RealDate = Date;
  const shift = %d;
  class ShiftedDate extends RealDate {
    constructor(...args) { if (args.length === 0) super(RealDate.now() + shift); else super(...args); }
    static now() { return RealDate.now() + shift; }
  }
  window.Date = ShiftedDate;
})();
"""


async def timer_within_a_second_of_the_server(tab: Candidate, test: Test) -> None:
    before = await db(seconds_left_on_server)(test=test)
    shown = await tab.timer_seconds()
    after = await db(seconds_left_on_server)(test=test)
    assert after - 1 <= shown <= before + 1, (after, shown, before)


@pytest.mark.parametrize("shift_seconds", [3600, -3600])
async def test_the_countdown_follows_the_server_even_with_the_clock_an_hour_off(
    live: Cluster, browser: Browser, shift_seconds: int
) -> None:
    test, candidate = await db(candidate_who_can_sign_in)(time_limit_minutes=20)
    context = await browser.new_context()
    await context.add_init_script(SHIFT_CLOCK % (shift_seconds * 1000))
    tab = await Candidate.started(context, live.w1, candidate.username, test)
    page = tab.page
    skew_ms = await page.evaluate("Date.now()") - time.time() * 1000
    assert abs(skew_ms - shift_seconds * 1000) < 5000, "the page's clock must really be off"

    for _ in range(3):
        await timer_within_a_second_of_the_server(tab, test)
        await page.wait_for_timeout(1100)
    await expect(page.locator("#timer-box")).to_have_attribute("data-level", "normal")

    # The recruiter extends the attempt: the countdown jumps with the server's deadline.
    attempt = await db(attempt_of)(test=test)
    await db(assessment_extend)(assessment_id=attempt.pk, minutes=10)
    await expect(page.locator("#time-announcer")).to_contain_text("Time extended")
    await page.wait_for_function("Number(document.getElementById('timer').dataset.seconds) > 25 * 60")
    await timer_within_a_second_of_the_server(tab, test)
    assert tab.errors == []


async def test_time_runs_out_when_the_server_says_so_with_warnings_announced(live: Cluster, browser: Browser) -> None:
    # The attempt's deadline is capped at the window's end: 12 seconds from now.
    closes_at = timezone.now() + timedelta(seconds=12)
    test, candidate = await db(candidate_who_can_sign_in)(closes_at=closes_at)
    context = await browser.new_context()
    await context.add_init_script(SHIFT_CLOCK % (-3600 * 1000))  # a slow clock must not add time either
    tab = await Candidate.open(context, live.w1, candidate.username)
    page = tab.page
    await tab.sign_in()
    await tab.open_assessment(test)
    await tab.start()
    await expect(page.locator("#time-announcer")).to_have_text("Less than 1 minute left.")
    await expect(page.locator("#timer-box")).to_have_attribute("data-level", "danger")
    await timer_within_a_second_of_the_server(tab, test)

    await expect(page.get_by_role("heading", name="Time is up")).to_be_visible(timeout=20_000)
    assert timezone.now() >= closes_at - timedelta(milliseconds=500)
    attempt = await db(attempt_of)(test=test)
    assert (attempt.status, attempt.end_reason) == (Assessment.Status.TIMED_OUT, "time_up")
    await tab.shot("12-time-up")
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
