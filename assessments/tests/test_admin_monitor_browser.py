"""The live monitor in Chromium, served by worker 2, watching a candidate connected to worker 1: the page
refreshes itself (connection, progress, integrity events) and its buttons reach the candidate."""

import os
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.async_api import Browser, Dialog, async_playwright, expect

from assessments.models import Assessment, Test
from testsupport.live import Cluster
from testsupport.live_data import attempt_path, candidate_with_test
from testsupport.tokens import token_for

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]
db = database_sync_to_async
CHROMIUM = Path(os.environ.get("JATAYU_CHROMIUM", "/usr/bin/chromium"))
POLL_WAIT_MS = 10_000  # the page refreshes every 3 s


@pytest.fixture
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium is not installed at {CHROMIUM}")
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture
async def browser(cluster: Cluster, chromium_path: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(chromium_path), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            yield chromium
        finally:
            await chromium.close()


def recruiter_session(test: Test) -> str:
    """A signed-in admin session of the test's owner (sessions live in the database the workers share)."""
    owner: Any = test.created_by
    owner.is_superuser = True
    owner.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(owner)
    return client.cookies["sessionid"].value


def deadline_of(assessment_id: int) -> Any:
    return Assessment.objects.get(pk=assessment_id).deadline_at


async def test_the_monitor_refreshes_itself_and_its_buttons_reach_the_candidate(
    cluster: Cluster, browser: Browser
) -> None:
    test, candidate = await db(candidate_with_test)()
    live = await cluster.connect(cluster.w1, attempt_path(test))
    await live.auth(token_for(candidate))
    await live.send("start_assessment", id="start")
    started, _ = await live.expect("assessment_started", "question")
    assessment_id = started["data"]["assessment_id"]
    session = await db(recruiter_session)(test)
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    await context.add_cookies([{"name": "sessionid", "value": session, "url": cluster.w2.http_url("/")}])
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    await page.goto(cluster.w2.http_url(f"/admin/assessments/test/{test.pk}/monitor/"))
    row = page.locator(f'tr[data-key="a-{assessment_id}"]')
    await expect(row.locator('td[data-field="connection"]')).to_have_text("● connected")
    await expect(row.locator('td[data-field="progress"]')).to_have_text("0 / 3 (0.0%)")
    await expect(page.locator("#monitor-status")).to_contain_text("updated", timeout=POLL_WAIT_MS)
    await expect(row.locator('td[data-field="connection"]')).to_have_text("● connected")  # no worker id, polled too

    # An integrity event and an answer on worker 1 show up without reloading the page.
    await live.send("integrity_event", {"kind": "paste"}, id="i1")
    await live.expect("ack")
    await expect(row.locator('td[data-field="integrity"]')).to_have_text("1", timeout=POLL_WAIT_MS)
    await expect(page.locator("#monitor-events li").first).to_contain_text(f"{candidate.username}: paste")

    # Extend, from the page: the candidate on worker 1 hears it.
    before = await db(deadline_of)(assessment_id)
    await row.locator('input[name="minutes"]').fill("4")
    await row.get_by_role("button", name="Extend").click()
    (extended,) = await live.expect("time_extended")
    after = await db(deadline_of)(assessment_id)
    assert (after - before).total_seconds() == 240
    assert datetime.fromisoformat(extended["data"]["deadline"]) == after
    await expect(page.locator(".messagelist")).to_contain_text(f"Gave {candidate.username} 4 more minute(s)")

    # Announce to everyone in the test.
    await page.locator("#monitor-announce input[name=message]").fill("Five minutes left.")
    await page.get_by_role("button", name="Broadcast").click()
    (announcement,) = await live.expect("announcement")
    assert announcement["data"]["message"] == "Five minutes left."

    # Terminate, confirming the browser's dialog.
    async def accept(dialog: Dialog) -> None:
        await dialog.accept()

    page.on("dialog", accept)
    row = page.locator(f'tr[data-key="a-{assessment_id}"]')
    await row.locator('input[name="reason"]').fill("second screen")
    await row.get_by_role("button", name="Terminate").click()
    (completed,) = await live.expect("assessment_completed")
    assert completed["data"]["status"] == "terminated"

    # The candidate is still connected, with no running attempt; then leaves.
    await expect(page.locator(f'tr[data-key="s-{candidate.username}"]')).to_be_visible(timeout=POLL_WAIT_MS)
    await live.close()
    await expect(page.locator("tr.monitor-empty")).to_be_visible(timeout=POLL_WAIT_MS)
    await expect(page.locator("#monitor-connected")).to_have_text("0")
    assert problems == []
    assert re.search(r"Terminated the attempt of", await page.content())
    assert cluster.tracebacks() == []
    assert await db(get_user_model()._default_manager.filter(pk=candidate.pk).exists)()
