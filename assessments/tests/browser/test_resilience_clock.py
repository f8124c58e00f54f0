"""In Chromium against a live daphne, the countdown follows the server's deadline even with the page's clock an
hour off (extensions included), and time runs out when the server says so, with the warnings announced."""

import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from playwright.async_api import Browser, expect

from assessments.models import Assessment, Question, Response, Test
from assessments.services.attempt_control import assessment_extend
from assessments.tests.browser.candidate import Candidate, attempt_of, candidate_who_can_sign_in, seconds_left_on_server
from testsupport.live import Cluster

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]
db = database_sync_to_async

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


async def test_the_option_chosen_but_not_submitted_is_recorded_at_time_up(live: Cluster, browser: Browser) -> None:
    closes_at = timezone.now() + timedelta(seconds=8)
    test, candidate = await db(candidate_who_can_sign_in)(closes_at=closes_at)
    context = await browser.new_context()
    tab = await Candidate.started(context, live.w1, candidate.username, test)
    page = tab.page
    question_id = await tab.question_id()
    question = await db(Question.objects.get)(pk=question_id)
    await tab.choose(question.options[question.correct_option])  # chosen, never submitted

    await expect(page.get_by_role("heading", name="Time is up")).to_be_visible(timeout=20_000)
    await expect(page.locator("#completed-detail")).to_have_text("Your answers until then are saved.")
    attempt = await db(attempt_of)(test=test)
    response = await db(lambda: Response.objects.get(assessment=attempt, question_id=question_id))()
    assert (response.selected_option, response.is_correct) == (question.correct_option, True)
    assert (attempt.status, attempt.end_reason, attempt.score) == (Assessment.Status.TIMED_OUT, "time_up", 1)
    assert attempt.ended_at == attempt.deadline_at
    assert await db(Response.objects.filter(assessment=attempt).count)() == 1
    assert tab.errors == []
