"""In Chromium against a live daphne: the details a first session tripped over. A short test's timer is
not amber from its first second, the score so far survives a reload, the time-up screen says
"Time is up" once, and a multi-select question takes several options and gives partial credit."""

import pytest
from channels.db import database_sync_to_async
from playwright.async_api import Browser, expect

from assessments.models import Question, Test
from assessments.tests.browser.candidate import Candidate, candidate_who_can_sign_in
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


def _all_multiple(test: Test) -> None:
    """Every question of the test becomes 'which of these are read-only?' with two right options of four."""
    test.multi_select_scoring = Test.MultiSelectScoring.PARTIAL
    test.feedback_mode = Test.FeedbackMode.FULL
    test.save(update_fields=["multi_select_scoring", "feedback_mode"])
    test.questions.update(
        kind=Question.Kind.MULTIPLE,
        options=["GET", "POST", "HEAD", "DELETE"],
        correct_options=[0, 2],
        correct_option=0,
        prompt="Which of these HTTP methods are read-only?",
    )


async def test_a_multi_select_question_takes_several_options_and_gives_partial_credit(
    live: Cluster, browser: Browser
) -> None:
    test, candidate = await database_sync_to_async(candidate_who_can_sign_in)()
    await database_sync_to_async(_all_multiple)(test)
    context = await browser.new_context()
    tab = await Candidate.open(context, live.w1, candidate.username)
    await tab.sign_in()
    await tab.open_assessment(test)
    await tab.start()
    page = tab.page

    await expect(page.locator("#multi-hint")).to_contain_text("Choose every correct answer")
    await tab.choose("GET")  # one of the two right options, and no wrong one
    await tab.submit()
    await tab.wait_saved()

    await expect(page.locator("#feedback-title")).to_have_text("Partly correct: 1 of 2")
    await expect(page.locator("#score-text")).to_have_text("Score so far: 0.5")  # half the question, under partial
    assert tab.errors == []
