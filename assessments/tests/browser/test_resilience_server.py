"""In Chromium against a live daphne, the server going away loses no answer: after a restart, and when the
server closes the socket on token expiry, the page comes back with the same question; an idle page keeps its socket.

How each cut is made, so the claims stay honest:
- server drop: the daphne process is killed (SIGKILL, as in a crash or a redeploy) and started again
  on the same port; the page only sees its socket die;
- server close: the page is given a real access token of the same candidate that expires a few
  seconds in; the server closes the socket itself (`token_expired`, code 4001) when it does.
"""

import asyncio
import re

import pytest
from channels.db import database_sync_to_async
from playwright.async_api import Browser, expect

from assessments.tests.browser.candidate import (
    Candidate,
    SocketLog,
    answered_responses,
    attempt_of,
    candidate_who_can_sign_in,
    right_and_wrong,
    short_lived_token,
)
from assessments.tests.browser.resilience import answer_right, started
from testsupport.live import Cluster

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]
db = database_sync_to_async


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
