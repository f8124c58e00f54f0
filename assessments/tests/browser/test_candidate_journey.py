"""A candidate's whole journey in Chromium: sign in, my tests, the assessment, the result; by mouse,
by keyboard alone, and on a 360 px wide screen."""

import re

import pytest
from channels.db import database_sync_to_async
from playwright.async_api import Browser, expect

from assessments.models import ChatMessage, IntegrityEvent, Test
from assessments.services.live import blueprint_announce
from assessments.tests.browser.candidate import (
    Candidate,
    SocketLog,
    answered_responses,
    attempt_of,
    candidate_who_can_sign_in,
    recruiter_results,
    recruiter_token,
    right_and_wrong,
)
from testsupport.live import Cluster

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.sqlite_ok, pytest.mark.django_db(transaction=True)]
db = database_sync_to_async


async def test_sign_in_start_answer_every_question_and_see_the_result_the_api_agrees_with(
    live: Cluster, browser: Browser
) -> None:
    test, candidate = await db(candidate_who_can_sign_in)(
        title="Backend engineer screen", feedback_mode=Test.FeedbackMode.FULL, pass_percentage=60
    )
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    tab = await Candidate.open(context, live.w1, candidate.username)
    page = tab.page

    await page.goto(tab.base_url + "/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await tab.shot("01-sign-in")
    await tab.sign_in()
    card = page.locator(".test-card", has_text="Backend engineer screen")
    await expect(card.locator(".attempts-used")).to_have_text("0 used")
    await expect(card.locator(".attempts-left")).to_have_text("1 left")
    await tab.shot("02-my-tests")

    await card.get_by_role("link", name="Start").click()
    await expect(page.get_by_role("button", name="Start assessment")).to_be_visible()
    await tab.shot("03-before-you-start")
    await tab.start()

    # 1: right, by mouse. Connected, the dot is green (it used to stay amber whatever the state).
    first = await tab.wait_for_question(position=1)
    await tab.wait_connected()
    await tab.dot_painted("--ok")
    right, _ = await db(right_and_wrong)(question_id=first)
    await tab.shot("04-question")
    await tab.answer(right)
    await expect(page.locator("#feedback-title")).to_have_text("Correct.")
    await expect(page.locator("#progress-text")).to_have_text("1 of 3 answered")
    await tab.next()

    # 2: wrong, by keyboard: the option's number, then Enter.
    second = await tab.wait_for_question(position=2)
    assert second != first
    right, wrong = await db(right_and_wrong)(question_id=second)
    second_right = right
    wrong_index = int(await page.locator(".option", has_text=wrong).get_attribute("data-index") or 0)
    await expect(page.locator("#question-prompt")).to_be_focused()
    await page.keyboard.press(str(wrong_index + 1))
    await page.keyboard.press("Enter")
    await tab.wait_saved()
    await expect(page.locator("#feedback-title")).to_have_text("Not correct.")
    await expect(page.locator(".option.key")).to_contain_text(right)  # full feedback shows the key
    await expect(page.locator("#feedback-explanation")).to_be_visible()
    await tab.shot("05-feedback")
    await tab.next()

    # 3: right; the last answer leads to the result.
    third = await tab.wait_for_question(position=3)
    right, _ = await db(right_and_wrong)(question_id=third)
    await tab.answer(right)
    await expect(page.locator("#next-button")).to_have_text("See your result")
    await tab.next()
    await expect(page.locator("#completed-title")).to_have_text("Assessment complete")
    await expect(page.locator("#completed-facts")).to_contain_text("2 / 3")
    await expect(page.locator("#completed-facts")).to_contain_text("Pass mark60%")
    await tab.shot("06-completed")

    await page.get_by_role("link", name="View your result").click()
    await expect(page.locator("#result-score")).to_have_text("2 / 3")
    await expect(page.locator("#result-percentage")).to_have_text("66.7%")
    await expect(page.locator("#result-passed")).to_have_text("Passed")
    await expect(page.locator("#result-pass-mark")).to_have_text("Pass mark: 60%")
    review = page.locator("#result-review .review-item")
    await expect(review).to_have_count(3)  # full feedback: each question, the answer given and the right one
    await expect(review.nth(1).locator(".review-verdict")).to_have_text("Not correct.")
    await expect(review.nth(1).locator("li.key")).to_contain_text(second_right)
    skill_rows = page.locator("#result-skills tbody tr")
    await expect(skill_rows).to_have_count(2)  # the factory's test has two skills
    counts = [await cell.inner_text() for cell in await skill_rows.locator("td").all()]
    assert sum(int(count.split(" of ")[1]) for count in counts) == 3  # "correct of asked" per skill
    await tab.shot("07-result")

    # The recruiter's view through the API agrees with what the candidate saw.
    rows = await recruiter_results(live.w1, test, await db(recruiter_token)(test=test))
    assert len(rows) == 1
    row = rows[0]
    assert row["candidate"] == candidate.username
    assert (row["status"], row["score"], row["max_score"], row["passed"]) == ("completed", 2, 3, True)
    assert row["percentage_score"] == pytest.approx(66.67)
    assert [r.question_id for r in await db(answered_responses)(test=test)] == [first, second, third]

    await page.get_by_role("link", name="Back to my tests").click()
    card = page.locator(".test-card", has_text="Backend engineer screen")
    await expect(card.locator(".attempts-left")).to_have_text("0 left")
    await expect(card.locator(".attempt-list")).to_contain_text("2 / 3")
    await expect(card.get_by_role("link", name="Start")).to_have_count(0)
    assert tab.errors == []


async def test_keyboard_alone_at_360_px_wide(live: Cluster, browser: Browser) -> None:
    test, candidate = await db(candidate_who_can_sign_in)(
        feedback_mode=Test.FeedbackMode.CORRECTNESS, total_questions=2
    )
    context = await browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    tab = await Candidate.open(context, live.w1, candidate.username)
    page = tab.page

    # Sign in by typing and Enter.
    await page.goto(tab.base_url + "/")
    await expect(page.get_by_label("Username")).to_be_focused()
    await page.keyboard.type(candidate.username)
    await page.keyboard.press("Tab")
    await page.keyboard.type("correct-horse-battery")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/tests/")
    await tab.shot("mobile-01-my-tests")

    # Tab to the Start link of the test and follow it.
    start = page.get_by_role("link", name="Start")
    for _ in range(10):
        await page.keyboard.press("Tab")
        if await start.evaluate("node => node === document.activeElement"):
            break
    await expect(start).to_be_focused()
    await page.keyboard.press("Enter")
    start_button = page.get_by_role("button", name="Start assessment")
    await expect(start_button).to_be_visible()
    await start_button.focus()
    await page.keyboard.press("Enter")
    await tab.wait_for_question(position=1)

    for position in (1, 2):
        question_id = await tab.wait_for_question(position=position)
        right, _ = await db(right_and_wrong)(question_id=question_id)
        right_index = int(await page.locator(".option", has_text=right).get_attribute("data-index") or 0)
        # From the question, Tab reaches the options; arrow keys move the choice.
        await expect(page.locator("#question-prompt")).to_be_focused()
        await page.keyboard.press("Tab")
        await page.keyboard.press("Space")
        for _ in range(right_index):
            await page.keyboard.press("ArrowDown")
        await expect(page.locator(f"#option-{right_index}")).to_be_checked()
        if position == 1:
            await tab.shot("mobile-02-question")
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("button", name="Submit answer")).to_be_focused()
        await page.keyboard.press("Enter")
        await tab.wait_saved()
        await expect(page.locator("#feedback-title")).to_have_text("Correct.")
        await expect(page.locator("#feedback-title")).to_be_focused()
        await page.keyboard.press("Tab")
        await expect(page.locator("#next-button")).to_be_focused()
        await page.keyboard.press("Enter")

    await expect(page.locator("#completed-title")).to_have_text("Assessment complete")
    await tab.shot("mobile-03-completed")
    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "the page scrolls sideways at 360 px"
    assert (await db(attempt_of)(test=test)).score == 2
    assert tab.errors == []


async def test_under_feedback_mode_none_answers_move_on_and_no_score_is_shown(live: Cluster, browser: Browser) -> None:
    test, candidate = await db(candidate_who_can_sign_in)(feedback_mode=Test.FeedbackMode.NONE, total_questions=2)
    context = await browser.new_context()
    tab = await Candidate.open(context, live.w1, candidate.username)
    page = tab.page
    await tab.sign_in()
    await tab.open_assessment(test)
    await tab.start()

    first = await tab.wait_for_question(position=1)
    right, _ = await db(right_and_wrong)(question_id=first)
    await tab.choose(right)
    await tab.submit()
    # No feedback to read: the next question follows at once.
    second = await tab.wait_for_question(position=2)
    assert second != first
    await expect(page.locator("#score-text")).to_be_hidden()
    _, wrong = await db(right_and_wrong)(question_id=second)
    await tab.choose(wrong)
    await tab.submit()

    await expect(page.locator("#completed-title")).to_have_text("Assessment complete")
    await expect(page.locator("#completed-facts")).to_be_empty()
    await page.get_by_role("link", name="View your result").click()
    await expect(page.locator("#result-hidden")).to_contain_text("The recruiter shares results")
    await expect(page.locator("#result-score")).to_have_count(0)
    await expect(page.locator("#result-skills")).to_have_count(0)
    assert (await db(attempt_of)(test=test)).score == 1
    assert tab.errors == []


@pytest.mark.redis  # the announcement is sent from this process, which reaches the worker over Redis only
async def test_chat_integrity_events_and_announcements(live: Cluster, browser: Browser) -> None:
    test, candidate = await db(candidate_who_can_sign_in)()
    context = await browser.new_context(viewport={"width": 1000, "height": 800})
    tab = await Candidate.open(context, live.w1, candidate.username)
    page = tab.page
    sockets = SocketLog()
    page.on("websocket", sockets.attach)
    await tab.sign_in()
    await tab.open_assessment(test)
    await tab.start()
    await tab.wait_connected()

    # The tutor answers in the chat panel (streamed or whole, as the server sends it).
    await page.get_by_label("Your message").fill("What is this question about?")
    await page.keyboard.press("Enter")
    await expect(page.locator(".chat-message.candidate")).to_have_text(re.compile("What is this question about"))
    reply = page.locator(".chat-message.tutor .chat-text")
    await expect(reply).to_have_text(re.compile(r"\w"))
    await expect(page.locator(".chat-message.tutor[aria-busy]")).to_have_count(0)
    await expect(page.get_by_label("Your message")).to_have_value("")

    # Copy the question, paste into the chat box, leave the window, switch tabs.
    await page.locator("#question-prompt").select_text()
    await page.keyboard.press("Control+C")
    await page.locator("#chat-input").click()
    await page.keyboard.press("Control+V")
    await page.evaluate("window.dispatchEvent(new Event('blur'))")
    other = await context.new_page()
    await other.bring_to_front()
    await page.bring_to_front()

    attempt = await db(attempt_of)(test=test)

    def kinds() -> set[str]:
        return set(IntegrityEvent.objects.filter(assessment=attempt).values_list("kind", flat=True))

    expected = {"copy", "paste", "window_blur"}
    for _ in range(50):
        if expected <= await db(kinds)():
            break
        await page.wait_for_timeout(100)
    assert expected <= await db(kinds)()

    # A recruiter's announcement reaches the candidate as a banner, live on the page's one socket.
    await tab.wait_connected()
    assert len(sockets.sockets) == 1, [sockets.types(i) for i in range(len(sockets.sockets))]
    await db(blueprint_announce)(test=test, message="The last question has a typo: read 'list' as 'tuple'.")
    banner = page.get_by_role("alert").filter(has_text="Announcement from the recruiter")
    await expect(banner).to_contain_text("read 'list' as 'tuple'")
    await tab.shot("08-announcement")
    await banner.get_by_role("button", name="Dismiss").click()
    await expect(banner).to_be_hidden()
    assert tab.errors == []


async def test_after_a_reload_the_chat_and_an_announcement_sent_meanwhile_are_still_there(
    live: Cluster, browser: Browser
) -> None:
    test, candidate = await db(candidate_who_can_sign_in)()
    context = await browser.new_context(viewport={"width": 1000, "height": 800})
    tab = await Candidate.started(context, live.w1, candidate.username, test)
    page = tab.page
    await page.get_by_label("Your message").fill("What is this question about?")
    await page.keyboard.press("Enter")
    await expect(page.locator(".chat-message.tutor[aria-busy]")).to_have_count(0)
    await expect(page.locator(".chat-message.tutor .chat-text")).to_have_text(re.compile(r"\w"))
    tutor_said = await page.locator(".chat-message.tutor .chat-text").inner_text()

    # Offline while the recruiter announces: the page cannot hear it live.
    await context.set_offline(True)
    await db(blueprint_announce)(test=test, message="Question 3: read 'list' as 'tuple'.")
    await context.set_offline(False)
    await page.reload()
    await tab.wait_connected()

    await expect(page.locator(".chat-message")).to_have_count(2)
    await expect(page.locator(".chat-message.candidate")).to_have_text(re.compile("What is this question about"))
    await expect(page.locator(".chat-message.tutor .chat-text")).to_have_text(tutor_said)
    banner = page.get_by_role("alert").filter(has_text="Announcement from the recruiter")
    await expect(banner).to_contain_text("read 'list' as 'tuple'")

    # Dismissed once, it stays dismissed after the next reload.
    await banner.get_by_role("button", name="Dismiss").click()
    await page.reload()
    await tab.wait_connected()
    await expect(page.locator(".chat-message")).to_have_count(2)
    await expect(banner).to_be_hidden()
    assert tab.errors == []


async def test_a_refused_chat_message_says_why_under_the_chat(live: Cluster, browser: Browser) -> None:
    test, candidate = await db(candidate_who_can_sign_in)()
    context = await browser.new_context(viewport={"width": 1000, "height": 800})
    tab = await Candidate.started(context, live.w1, candidate.username, test)
    page = tab.page
    attempt = await db(attempt_of)(test=test)

    def use_up_the_chat() -> None:  # the workers run with the default JATAYU_CHAT_LIMIT of 20
        ChatMessage.objects.bulk_create(
            ChatMessage(assessment=attempt, role=ChatMessage.Role.CANDIDATE, content=f"earlier {n}") for n in range(20)
        )

    await db(use_up_the_chat)()
    await page.get_by_label("Your message").fill("One more question?")
    await page.keyboard.press("Enter")
    await expect(page.locator("#chat-error")).to_be_visible()
    await expect(page.locator("#chat-error")).to_contain_text("20 messages per attempt")
    assert tab.errors == []


async def test_the_chat_log_keeps_the_newest_reply_in_view(live: Cluster, browser: Browser) -> None:
    """Before, the log stayed where it was once it overflowed: each new reply landed out of sight."""
    test, candidate = await db(candidate_who_can_sign_in)()
    context = await browser.new_context(viewport={"width": 1000, "height": 800})
    tab = await Candidate.open(context, live.w1, candidate.username)
    page = tab.page
    await tab.sign_in()
    await tab.open_assessment(test)
    await tab.start()
    await tab.wait_connected()

    for n in range(1, 6):
        await page.get_by_label("Your message").fill(f"Question {n}: what should I look at first?")
        await page.keyboard.press("Enter")
        await expect(page.locator(".chat-message.tutor")).to_have_count(n)
        await expect(page.locator(".chat-message.tutor[aria-busy]")).to_have_count(0)

    log = await page.evaluate(
        """() => { const log = document.getElementById("chat-log");
                   return [log.scrollTop, log.clientHeight, log.scrollHeight]; }"""
    )
    top, visible, whole = log
    assert whole > visible, "the log should overflow for this test to mean anything"
    assert top + visible >= whole - 1, f"scrolled to {top} of {whole - visible}"
    assert not tab.errors
