"""A recruiter's day in Chromium against a live daphne, with the screenshots the README shows: import
questions with a dry run, invite by email, preview as a candidate, read the results (integrity summary,
decision), shortlist, compare two candidates and print one report.

`make screenshots` runs the browser tests with JATAYU_SCREENSHOT_DIR=docs/screenshots to refresh the README's images."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from playwright.async_api import Browser, Page, expect

from assessments.models import CandidateApplication, Test
from assessments.roles import recruiters_group_sync
from assessments.tests.backoffice_factories import attempt_with_answers
from assessments.tests.browser.candidate import SCREENSHOT_DIR
from assessments.tests.factories import RecruiterFactory, UserFactory, published_test_with_bank
from testsupport.live import Cluster

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.sqlite_ok, pytest.mark.django_db(transaction=True)]
db = database_sync_to_async

GIFT = """$CATEGORY: $course$/Backend/skill 1

::Indexes:: Which index suits equality lookups on one column? {
  =A B-tree index
  ~A full table scan
  ~A materialized view
  ####A B-tree finds one key in logarithmic time.
}

::Joins:: Which join keeps every row of the left table? {
  =LEFT OUTER JOIN
  ~INNER JOIN
  ~CROSS JOIN
}
"""


def recruiter_with_results() -> tuple[Test, str]:
    """A recruiter's published test with two finished attempts (one quick and copy-pasting), signed in."""
    recruiters_group_sync()
    recruiter = RecruiterFactory.create(username="rita")
    test = published_test_with_bank(
        created_by=recruiter, questions=4, total_questions=3, title="Backend engineer screen", feedback_mode="full"
    )
    q1, q2, q3 = test.questions.all()[:3]
    for name, answers in (("asha", {q1: True, q2: True, q3: True}), ("bram", {q1: True, q2: False, q3: False})):
        attempt = attempt_with_answers(test=test, answers=answers, candidate=UserFactory.create(username=name))
        theta = 1.2 if name == "asha" else -0.4
        attempt.ai_state = {"ability": {"overall": {"theta": theta, "se": 0.9, "asked": 3, "correct": attempt.score}}}
        attempt.save(update_fields=["ai_state"])
        CandidateApplication.objects.filter(test=test, candidate=attempt.candidate).update(status="invited")
        if name == "bram":
            attempt.integrity_events.create(kind="paste")
            attempt.responses.filter(position=2).update(time_taken_ms=1200)
    client = Client()
    client.force_login(recruiter)
    return test, client.cookies["sessionid"].value


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)


async def test_a_recruiter_imports_invites_previews_decides_and_prints(live: Cluster, browser: Browser) -> None:
    test, session = await db(recruiter_with_results)()
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    await context.add_cookies([{"name": "sessionid", "value": session, "url": live.w1.http_url("/")}])
    page = await context.new_page()
    admin = live.w1.http_url(f"/admin/assessments/test/{test.pk}")

    # Import two questions from Moodle GIFT: checked first, then imported.
    await page.goto(f"{admin}/questions/import/")
    await page.get_by_label("GIFT (Moodle)").check()
    await page.get_by_label("or pasted text").fill(GIFT)
    await page.get_by_role("button", name="Check only (dry run)").click()
    await expect(page.locator("#import-report")).to_contain_text("Would create 2 questions: 2 skill 1")
    await shot(page, "recruiter-01-import-dry-run")
    await page.get_by_role("button", name="Import", exact=True).click()
    await expect(page.locator("#import-report")).to_contain_text("Imported")
    assert await db(test.questions.count)() == 6

    # Invite a candidate by email: the email holds a one-time sign-in link.
    await page.goto(f"{admin}/invite/")
    await page.get_by_label("Candidates").fill("chen,chen@example.com")
    await page.get_by_role("button", name="Invite").click()
    await expect(page.locator("#invite-report")).to_contain_text("Emailed an invitation (1)")
    await shot(page, "recruiter-02-invited")
    assert await db(CandidateApplication.objects.filter(test=test, candidate__username="chen").exists)()

    # Preview as a candidate: a question as they see it, and nothing recorded.
    await page.goto(f"{admin}/preview/")
    await page.get_by_role("link", name="Start the preview").click()
    await expect(page.locator("#question-position")).to_have_text("Question 1 of 3")
    await shot(page, "recruiter-03-preview")

    # The results: one line of integrity signals per attempt; shortlist the best, then compare both.
    await page.goto(live.w1.http_url(f"/admin/assessments/assessment/?test__id__exact={test.pk}"))
    bram = page.locator("tr", has_text="bram")
    await expect(bram.locator(".field-integrity_flags")).to_contain_text("1 paste · 1 answer too fast to read")
    await page.locator("tr", has_text="asha").locator("input.action-select").check()
    await page.locator("select[name=action]").select_option("shortlist")
    await page.get_by_role("button", name="Go").click()
    await expect(page.locator(".messagelist")).to_contain_text("1 candidate(s) shortlisted")
    await page.locator("tr", has_text="bram").locator("input.action-select").check()
    await page.locator("select[name=action]").select_option("reject")
    await page.get_by_role("button", name="Go").click()
    await expect(page.locator(".messagelist")).to_contain_text("1 candidate(s) rejected")
    await expect(page.locator("tr", has_text="asha").locator(".field-decision")).to_have_text("Shortlisted")
    await expect(page.locator("tr", has_text="bram").locator(".field-decision")).to_have_text("Rejected")
    await shot(page, "recruiter-04-results")
    await page.locator("#action-toggle").check()
    await page.locator("select[name=action]").select_option("compare")
    await page.get_by_role("button", name="Go").click()
    rows = page.locator("#comparison tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.first.locator('[data-field="candidate"]')).to_have_text("asha")
    await expect(rows.first.locator('[data-field="percentile"]')).to_have_text("100")
    await shot(page, "recruiter-05-compare")

    # One candidate's report, as printed.
    await rows.nth(1).get_by_role("link", name="report").click()
    await expect(page.locator("#report-integrity-summary")).to_contain_text("1 paste")
    await page.emulate_media(media="print")
    await shot(page, "recruiter-06-report-printed")
    assert "Subject: Your assessment: Backend engineer screen" in live.w1.logs()  # the console email backend
    await context.close()
