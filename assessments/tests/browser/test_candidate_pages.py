"""In Chromium against a live daphne: small things on the candidate's pages. An emailed sign-in link
works once, a second tab of the same browser is signed in already, the timer stays in view at 360 px, a phone is told to tap rather than
use a mouse, and a test that does not exist says so without claiming anything "Finished"."""

import re

import pytest
from channels.db import database_sync_to_async
from playwright.async_api import Browser, expect

from assessments.services.invitations import sign_in_link_create
from assessments.tests.browser.candidate import Candidate, candidate_who_can_sign_in
from assessments.tests.browser.resilience import started
from testsupport.live import Cluster

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.sqlite_ok, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


async def test_a_second_tab_needs_no_second_sign_in(live: Cluster, browser: Browser) -> None:
    test, candidate = await db(candidate_who_can_sign_in)()
    context = await browser.new_context()
    first = await Candidate.open(context, live.w1, candidate.username)
    await first.sign_in()

    second = await Candidate.open(context, live.w1, candidate.username)
    await second.open_assessment(test)

    await expect(second.page.get_by_role("button", name="Start assessment")).to_be_visible()
    assert second.page.url.endswith(f"/assessment/{test.pk}/")
    # Signing out in one tab signs the other out too: its next page asks for sign-in.
    await first.page.get_by_role("button", name="Sign out").click()
    await first.page.wait_for_url(first.base_url + "/")
    # The other tab may already be on its way to sign-in (its tokens were cleared): reload without waiting on it.
    await second.page.evaluate("location.reload()")
    await expect(second.page).to_have_url(re.compile(r"/\?next=%2F"), timeout=10_000)
    assert first.errors == []
    assert second.errors == []


async def test_the_timer_stays_in_view_at_360_px(live: Cluster, browser: Browser) -> None:
    _test, _candidate, _context, tab = await started(live, browser, viewport={"width": 360, "height": 640})
    page = tab.page
    assert await page.evaluate("document.documentElement.scrollHeight") > 640 * 1.5  # there is far to scroll

    await page.locator("#chat-send").scroll_into_view_if_needed()

    assert await page.evaluate("window.scrollY") > 300
    box = await page.locator("#timer").bounding_box()
    assert box is not None
    assert box["y"] >= 0
    assert box["y"] + box["height"] <= 640
    await expect(page.locator("#timer")).to_be_in_viewport()


async def test_a_phone_is_told_to_tap_and_a_desktop_of_the_mouse_and_keys(live: Cluster, browser: Browser) -> None:
    _test, _candidate, _context, phone = await started(
        live, browser, viewport={"width": 360, "height": 740}, phone=True
    )
    _test, _candidate, _context, desktop = await started(live, browser)

    # As read on screen (inner text): the other hint is in the page but not shown.
    await expect(phone.page.locator("#question-hint")).to_have_text(
        "Tap an answer, then submit it.", use_inner_text=True
    )
    await expect(desktop.page.locator("#question-hint")).to_have_text(
        "Choose an answer with the mouse, the arrow keys or its number, then submit it.", use_inner_text=True
    )


async def test_a_test_that_does_not_exist_says_so_and_shows_no_finished_state(live: Cluster, browser: Browser) -> None:
    test, candidate = await db(candidate_who_can_sign_in)()
    context = await browser.new_context()
    tab = await Candidate.open(context, live.w1, candidate.username)
    await tab.sign_in()

    await tab.page.goto(f"{tab.base_url}/assessment/{test.pk + 999}/")

    await expect(tab.page.locator("#error-title")).to_have_text("There is no such test")
    await expect(tab.page.locator("#connection-text")).to_have_text("Not connected")
    await expect(tab.page.locator("#timer-box")).to_be_hidden()
    assert "Finished" not in await tab.page.locator("body").inner_text()


async def test_an_emailed_link_signs_in_once_and_opens_the_test(live: Cluster, browser: Browser) -> None:
    test, candidate = await db(candidate_who_can_sign_in)()
    secret = await db(sign_in_link_create)(user=candidate, test=test)
    link = live.w1.http_url(f"/welcome/#{secret}")

    page = await (await browser.new_context()).new_page()
    await page.goto(link)
    await page.wait_for_url(f"**/assessment/{test.pk}/")
    await expect(page.get_by_role("button", name="Start assessment")).to_be_visible()

    again = await (await browser.new_context()).new_page()
    await again.goto(link)
    await expect(again.locator("#welcome-error")).to_contain_text("was used already")
    assert "#" not in again.url  # the secret left the address bar
    await expect(again.get_by_role("link", name="Sign in with a password")).to_be_visible()
