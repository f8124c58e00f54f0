"""At 1,366 px (a common laptop), the results list and an attempt's report fit the window: nothing a
recruiter needs (integrity events, the start time, the report link) is cut off to the right."""

from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from playwright.async_api import Browser, expect

from assessments.tests.test_admin_monitor_browser import browser, chromium_path, recruiter_session  # noqa: F401
from testsupport.live import Cluster
from testsupport.live_data import attempt_path, candidate_with_test
from testsupport.tokens import token_for

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]
db = database_sync_to_async
WIDTH = 1366
SHOTS = Path("test-artifacts")


async def test_the_results_list_and_the_report_fit_a_laptop_screen(cluster: Cluster, browser: Browser) -> None:  # noqa: F811
    test, candidate = await db(candidate_with_test)()
    live = await cluster.connect(cluster.w1, attempt_path(test))
    await live.auth(token_for(candidate))
    await live.send("start_assessment", id="start")
    started, question = await live.expect("assessment_started", "question")
    await live.send("integrity_event", {"kind": "paste"}, id="i1")
    await live.expect("ack")
    await live.send("submit_answer", {"question_id": question["data"]["question_id"], "selected_option": 0})
    await live.expect("answer_feedback", "progress_update", "question")
    await live.close()
    assessment_id = started["data"]["assessment_id"]
    session = await db(recruiter_session)(test)
    context = await browser.new_context(viewport={"width": WIDTH, "height": 900})
    await context.add_cookies([{"name": "sessionid", "value": session, "url": cluster.w2.http_url("/")}])
    page = await context.new_page()

    widths = {}
    for name, path in [
        ("results", f"/admin/assessments/assessment/?test__id__exact={test.pk}"),
        ("report", f"/admin/assessments/assessment/{assessment_id}/report/"),
    ]:
        await page.goto(cluster.w2.http_url(path))
        widths[name] = await page.evaluate("document.documentElement.scrollWidth")
        await page.screenshot(path=str(SHOTS / f"admin-{name}-{WIDTH}.png"), full_page=True)
    assert widths == {"results": WIDTH, "report": WIDTH}
    await page.goto(cluster.w2.http_url(f"/admin/assessments/assessment/?test__id__exact={test.pk}"))
    # The table scrolls inside its box when it is too wide: it must fit that box.
    table, box_width = await page.evaluate(
        "[document.querySelector('#result_list').scrollWidth, document.querySelector('.results').clientWidth]"
    )
    assert table <= box_width, (table, box_width)
    report_link = page.get_by_role("link", name="report").first
    box = await report_link.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= WIDTH

    # Printed (or saved as a PDF), the report is the report alone: no admin header, no raw event log.
    await page.goto(cluster.w2.http_url(f"/admin/assessments/assessment/{assessment_id}/report/"))
    await page.emulate_media(media="print")
    await expect(page.locator("#header")).to_be_hidden()
    await expect(page.locator("#report-events")).to_be_hidden()
    await expect(page.locator("#report-questions")).to_be_visible()
    await expect(page.locator(".print-only")).to_contain_text(test.title)
    pdf = await page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    (SHOTS / "admin-report.pdf").write_bytes(pdf)
    await context.close()


async def test_a_recruiter_abroad_reads_times_in_their_own_zone(cluster: Cluster, browser: Browser) -> None:  # noqa: F811
    test, _candidate = await db(candidate_with_test)()
    session = await db(recruiter_session)(test)
    context = await browser.new_context(timezone_id="Asia/Tokyo")
    await context.add_cookies([{"name": "sessionid", "value": session, "url": cluster.w1.http_url("/")}])
    page = await context.new_page()

    await page.goto(cluster.w1.http_url(f"/admin/assessments/test/{test.pk}/change/"))

    # The first page was rendered in the server's zone; the page reloads itself once, in Tokyo's.
    await expect(page.locator("#time-zone-note")).to_have_text("Times in Asia/Tokyo")
    cookies = {c["name"]: c["value"] for c in await context.cookies()}
    assert cookies["jatayu_tz"] == "Asia%2FTokyo"
