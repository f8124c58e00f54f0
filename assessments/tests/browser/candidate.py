"""A candidate driving the web app in Chromium: the steps a person takes, by label and role where possible.

Also: data made through the ORM (call those through `database_sync_to_async`), and the recruiter's
view of the results through the REST API of the live server."""

import asyncio
import json
import os
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone
from playwright.async_api import BrowserContext, ConsoleMessage, Page, WebSocket, expect

from assessments.models import Assessment, AssessmentEvent, Question, Response, Test
from assessments.tests.factories import PASSWORD
from testsupport.live import Worker
from testsupport.live_data import candidate_with_test
from testsupport.tokens import token_for

SCREENSHOT_DIR = Path(
    os.environ.get("JATAYU_SCREENSHOT_DIR") or Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
)
WAIT_MS = 10_000  # the longest any single step may take to show on screen
RECONNECT_MS = 20_000  # a reconnect, backoff included


@dataclass
class Candidate:
    """One browser tab of one candidate."""

    page: Page
    base_url: str
    username: str
    errors: list[str] = field(default_factory=list)

    @classmethod
    async def open(cls, context: BrowserContext, worker: Worker, username: str) -> "Candidate":
        page = await context.new_page()
        candidate = cls(page=page, base_url=worker.http_url(""), username=username)
        page.on("pageerror", lambda error: candidate.errors.append(f"pageerror: {error}"))
        page.on("console", candidate._on_console)
        return candidate

    @classmethod
    async def started(cls, context: BrowserContext, worker: Worker, username: str, test: Test) -> "Candidate":
        """Signed in, on the test's page, the attempt started and the socket up."""
        candidate = await cls.open(context, worker, username)
        await candidate.sign_in()
        await candidate.open_assessment(test)
        await candidate.start()
        await candidate.wait_connected()
        return candidate

    def _on_console(self, message: ConsoleMessage) -> None:
        # Failed socket connections while offline or while the server restarts are expected noise.
        if message.type == "error" and "WebSocket" not in message.text and "ERR_" not in message.text:
            self.errors.append(f"console: {message.text}")

    # ------------------------------------------------------------ pages

    async def sign_in(self, password: str = PASSWORD) -> None:
        await self.page.goto(self.base_url + "/")
        await self.page.get_by_label("Username").fill(self.username)
        await self.page.get_by_label("Password").fill(password)
        await self.page.get_by_role("button", name="Sign in").click()
        await self.page.wait_for_url("**/tests/")
        await expect(self.page.locator(".test-card").first).to_be_visible(timeout=WAIT_MS)

    async def open_assessment(self, test: Test) -> None:
        await self.page.goto(f"{self.base_url}/assessment/{test.pk}/")

    async def start(self) -> None:
        """From the assessment page's introduction to the first question."""
        await self.page.get_by_role("button", name="Start assessment").click()
        await self.wait_for_question()

    async def wait_for_question(self, position: int | None = None) -> int:
        form = self.page.locator("#question-form")
        await expect(form).to_be_visible(timeout=WAIT_MS)
        if position is not None:
            await expect(self.page.locator("#question-position")).to_have_text(
                f"Question {position} of {await self.total()}", timeout=WAIT_MS
            )
        return await self.question_id()

    async def question_id(self) -> int:
        return int(await self.page.locator("#question-form").get_attribute("data-question-id") or 0)

    async def total(self) -> int:
        text = await self.page.locator("#question-position").inner_text()
        return int(text.rsplit(" ", 1)[-1])

    async def choose(self, option_text: str) -> None:
        await self.page.locator(".option", has_text=option_text).click()

    async def submit(self) -> None:
        await self.page.get_by_role("button", name="Submit answer").click()

    async def answer(self, option_text: str) -> None:
        """Choose by mouse, submit, and wait until the server has acknowledged it."""
        await self.choose(option_text)
        await self.submit()
        await self.wait_saved()

    async def wait_saved(self) -> None:
        await expect(self.page.locator("#answer-state")).to_have_attribute(
            "data-state", "answered", timeout=RECONNECT_MS
        )

    async def next(self) -> None:
        await self.page.locator("#next-button").click()

    async def wait_connected(self) -> None:
        await expect(self.page.locator("#connection")).to_have_attribute("data-state", "online", timeout=RECONNECT_MS)

    async def dot_painted(self, variable: str) -> None:
        """The connection dot is painted in the page's colour `variable` (`--ok`, `--warn`, `--muted`),
        and that colour is not the one of another state."""
        dot, wanted, others = await self.page.evaluate(
            """(name) => {
                const colour = (value) => {
                    const probe = document.createElement("span");
                    probe.style.background = value;
                    document.body.append(probe);
                    const painted = getComputedStyle(probe).backgroundColor;
                    probe.remove();
                    return painted;
                };
                const dot = getComputedStyle(document.querySelector(".connection-dot")).backgroundColor;
                const others = ["--ok", "--warn", "--muted"].filter((n) => n !== name).map((n) => colour(`var(${n})`));
                return [dot, colour(`var(${name})`), others];
            }""",
            variable,
        )
        assert dot == wanted, f"the connection dot is {dot}, {variable} is {wanted}"
        assert wanted not in others

    async def progress_text(self) -> str:
        return await self.page.locator("#progress-text").inner_text()

    async def timer_seconds(self) -> int:
        """The countdown as the candidate reads it (m:ss or h:mm:ss)."""
        text = await self.page.locator("#timer").inner_text()
        seconds = 0
        for part in text.split(":"):
            seconds = seconds * 60 + int(part)
        return seconds

    async def shot(self, name: str, *, full_page: bool = True) -> None:
        """Save a screenshot (Playwright creates the folder)."""
        await self.page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=full_page)


class SocketLog:
    """Every WebSocket the page opens, with the frames it received and how it ended."""

    def __init__(self) -> None:
        self.sockets: list[dict[str, Any]] = []

    def attach(self, socket: WebSocket) -> None:
        entry: dict[str, Any] = {"url": socket.url, "received": [], "closed": False}
        self.sockets.append(entry)
        socket.on("framereceived", lambda payload: entry["received"].append(json.loads(payload)))
        socket.on("close", lambda _: entry.update(closed=True))

    def types(self, index: int) -> list[str]:
        return [message["type"] for message in self.sockets[index]["received"]]

    async def wait_for(self, count: int, within: float = RECONNECT_MS / 1000) -> None:
        """Until the page has opened `count` sockets (polled: Playwright has no event for "the n-th")."""
        deadline = time.monotonic() + within
        while len(self.sockets) < count:
            assert time.monotonic() < deadline, f"the page opened {len(self.sockets)} sockets, not {count}"
            await asyncio.sleep(0.05)


# ---------------------------------------------------------------- data (through database_sync_to_async)


def candidate_who_can_sign_in(**test_fields: Any) -> tuple[Test, Any]:
    """A published test and a shortlisted candidate whose password the live server can check.

    The test settings hash passwords with MD5 for speed; the live workers run the production
    settings, which do not know that hasher, so the password is hashed with PBKDF2 here.
    """
    test, candidate = candidate_with_test(**test_fields)
    hasher = PBKDF2PasswordHasher()
    candidate.password = hasher.encode(PASSWORD, hasher.salt())
    candidate.save(update_fields=["password"])
    return test, candidate


def right_and_wrong(*, question_id: int) -> tuple[str, str]:
    """The text of the right option and of one wrong one."""
    question = Question.objects.get(pk=question_id)
    right = question.options[question.correct_option]
    wrong = next(option for option in question.options if option != right)
    return right, wrong


def attempt_of(*, test: Test) -> Assessment:
    return Assessment.objects.get(test=test)


def answered_responses(*, test: Test) -> list[Response]:
    return list(Response.objects.filter(assessment__test=test, answered_at__isnull=False).order_by("position"))


def responses_to(*, test: Test, question_id: int) -> list[Response]:
    return list(Response.objects.filter(assessment__test=test, question_id=question_id))


def events_answering(*, test: Test, ref: str) -> list[str]:
    return list(
        AssessmentEvent.objects.filter(assessment__test=test, ref=ref).order_by("seq").values_list("type", flat=True)
    )


def seconds_left_on_server(*, test: Test) -> float:
    deadline = Assessment.objects.values_list("deadline_at", flat=True).get(test=test)
    return (deadline - timezone.now()).total_seconds()


def recruiter_token(*, test: Test) -> str:
    return token_for(test.created_by)


def short_lived_token(*, user: Any, seconds: int) -> str:
    return token_for(user, lifetime=timedelta(seconds=seconds))


async def recruiter_results(worker: Worker, test: Test, token: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        response = await client.get(
            worker.http_url(f"/api/tests/{test.pk}/results/"), headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next"] is None, "more results than one page"
    rows = body["results"]
    assert isinstance(rows, list)
    return rows
