"""In Chromium against a live daphne: the details a first session tripped over. A short test's timer is
not amber from its first second, the score so far survives a reload, and the time-up screen says
"Time is up" once."""

import pytest
from playwright.async_api import Browser, expect

from assessments.tests.browser.resilience import answer_right, started
from testsupport.live import Cluster

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.sqlite_ok, pytest.mark.django_db(transaction=True)]


async def test_a_three_minute_test_starts_with_a_calm_timer(live: Cluster, browser: Browser) -> None:
    _test, _candidate, _context, tab = await started(live, browser, time_limit_minutes=3)
    await expect(tab.page.locator("#timer-box")).to_have_attribute("data-level", "normal")
    seconds = await tab.timer_seconds()
    assert 170 <= seconds <= 180


async def test_the_score_so_far_survives_a_reload(live: Cluster, browser: Browser) -> None:
    _test, _candidate, _context, tab = await started(live, browser)
    await answer_right(tab)
    await expect(tab.page.locator("#score-text")).to_have_text("Score so far: 1")
    await tab.page.reload()
    await tab.wait_connected()
    await expect(tab.page.locator("#score-text")).to_have_text("Score so far: 1")
    assert tab.errors == []
