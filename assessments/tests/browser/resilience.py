"""Steps the resilience tests share: a candidate on the first question of a fresh attempt, a right answer."""

from typing import Any

from channels.db import database_sync_to_async
from playwright.async_api import Browser, BrowserContext, ViewportSize

from assessments.models import Test
from assessments.tests.browser.candidate import Candidate, candidate_who_can_sign_in, right_and_wrong
from testsupport.live import Cluster

db = database_sync_to_async


async def started(
    live: Cluster,
    browser: Browser,
    *,
    viewport: ViewportSize | None = None,
    phone: bool = False,
    **test_fields: Any,
) -> tuple[Test, Any, BrowserContext, Candidate]:
    """A candidate signed in, with the first question of a fresh attempt on screen (on a touch screen
    with `phone`)."""
    test, candidate = await db(candidate_who_can_sign_in)(**test_fields)
    context = await browser.new_context(
        viewport=viewport or {"width": 1100, "height": 850}, is_mobile=phone, has_touch=phone
    )
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
