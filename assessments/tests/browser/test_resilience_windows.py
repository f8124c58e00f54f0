"""In Chromium against a live daphne, a second window of the same candidate takes the attempt over and the
first can take it back, while a window that was offline during a takeover does not grab it back by itself."""

import pytest
from channels.db import database_sync_to_async
from playwright.async_api import Browser, expect

from assessments.models import Assessment
from assessments.tests.browser.candidate import Candidate, answered_responses
from assessments.tests.browser.resilience import answer_right, started
from testsupport.live import Cluster

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]
db = database_sync_to_async


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
