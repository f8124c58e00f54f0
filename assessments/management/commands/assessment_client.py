"""`manage.py assessment_client --url ws://HOST/ws/assessment/ID/ --username U --password P`.

A scripted candidate for smoke-testing a deployment: it signs in over the API (POST
/api/auth/token/ on the same host unless --api-url says otherwise), connects, authenticates with the
first message, starts (or resumes) the attempt, answers every question with the served option
--option (0 unless told), prints every message (the token never), and exits 0 once
`assessment_completed` arrives. Anything else (refused sign-in, an error from the server, a closed
socket, silence longer than --timeout) exits non-zero with the reason.

It takes a real attempt: it counts against the test's attempts for that candidate and shows in the
results like any other, so smoke-test with an account made for it. It says so on stderr as it starts.

It needs no database: it is a client, and can run from any machine with the project installed.
"""

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

MAX_QUESTIONS = 1000  # a safety stop: no real test is longer
# Errors after which the attempt still ends normally (the server sends assessment_completed next).
RECOVERABLE_ERRORS = {"assessment_expired"}


def api_base_for(ws_url: str) -> str:
    """http(s)://host[:port] of a ws(s):// URL."""
    parts = urlsplit(ws_url)
    scheme = {"ws": "http", "wss": "https"}[parts.scheme]
    return urlunsplit((scheme, parts.netloc, "", "", ""))


def url_test_id(ws_url: str) -> int | None:
    """The test id of /ws/assessment/<id>/ or /ws/assessment/?test_id=<id>; None when there is none."""
    parts = urlsplit(ws_url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 3 and segments[:2] == ["ws", "assessment"] and segments[2].isdigit():
        return int(segments[2])
    values = parse_qs(parts.query).get("test_id", [])
    return int(values[0]) if values and values[0].isdigit() else None


class Command(BaseCommand):
    help = (
        "Run a whole attempt as a scripted candidate, for smoke-testing a deployment: sign in over the API, "
        "connect to --url (ws://host/ws/assessment/<test_id>/), start, answer every question with --option, "
        "print every message, exit 0 on assessment_completed and non-zero on any failure. It takes a real "
        "attempt, which counts against the candidate's attempts and shows in the results: use an account "
        "made for smoke tests."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", required=True, help="the test's WebSocket URL, ws://host/ws/assessment/<id>/")
        parser.add_argument("--username", required=True, help="the candidate's username")
        parser.add_argument("--password", required=True, help="the candidate's password")
        parser.add_argument(
            "--api-url", help="the API's base URL for signing in (default: http(s):// on the host of --url)"
        )
        parser.add_argument("--option", type=int, default=0, help="the served option to choose (default 0)")
        parser.add_argument(
            "--timeout", type=float, default=15.0, help="seconds to wait for any one message (default 15)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url: str = options["url"]
        parts = urlsplit(url)
        if parts.scheme not in ("ws", "wss") or not parts.netloc:
            raise CommandError(f"--url must be a ws:// or wss:// URL, not {url!r}.")
        if url_test_id(url) is None:
            raise CommandError(f"--url must name a test: ws://host/ws/assessment/<test_id>/ (got {url!r}).")
        if options["option"] < 0:
            raise CommandError("--option must be 0 or more.")
        if options["timeout"] <= 0:
            raise CommandError("--timeout must be positive.")
        api = (options.get("api_url") or api_base_for(url)).rstrip("/")
        token = self.sign_in(api=api, username=options["username"], password=options["password"])
        self.stderr.write(
            f"note: this takes a real attempt of test {url_test_id(url)} as {options['username']}: it counts "
            "against that candidate's attempts and shows in the test's results."
        )
        asyncio.run(self.run(url=url, token=token, option=options["option"], wait=options["timeout"]))

    def sign_in(self, *, api: str, username: str, password: str) -> str:
        endpoint = f"{api}/api/auth/token/"
        if urlsplit(endpoint).scheme not in ("http", "https"):
            raise CommandError(f"--api-url must be an http:// or https:// URL, not {api!r}.")
        body = json.dumps({"username": username, "password": password}).encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            endpoint,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
                payload = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300]
            raise CommandError(f"Sign-in refused by {endpoint} (HTTP {exc.code}): {detail}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise CommandError(f"Cannot sign in at {endpoint}: {exc}") from exc
        token = payload.get("access") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            raise CommandError(f"{endpoint} answered without an access token.")
        self.stdout.write(f"signed in as {username} at {endpoint}")
        return token

    async def run(self, *, url: str, token: str, option: int, wait: float) -> None:
        try:
            async with connect(url, open_timeout=wait, close_timeout=2, proxy=None) as ws:
                await self.send(ws, {"type": "auth", "data": {"token": token}}, shown={"type": "auth", "data": "…"})
                await self.converse(ws, option=option, wait=wait)
        except (OSError, InvalidURI, InvalidHandshake, TimeoutError) as exc:
            raise CommandError(f"Cannot connect to {url}: {exc or type(exc).__name__}") from exc

    async def converse(self, ws: ClientConnection, *, option: int, wait: float) -> None:
        answered = 0
        counter = 0
        while True:
            try:
                frame = await asyncio.wait_for(ws.recv(), wait)
            except TimeoutError as exc:
                raise CommandError(f"No message from the server within {wait:g} s.") from exc
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else "none"
                raise CommandError(f"The server closed the connection (close code {code}).") from exc
            raw = frame if isinstance(frame, str) else frame.decode(errors="replace")
            self.stdout.write(f"← {raw}")
            try:
                message = json.loads(raw)
                kind = message["type"]
                data = message.get("data") or {}
            except (ValueError, KeyError, TypeError) as exc:
                raise CommandError(f"Not a protocol message: {raw[:200]}") from exc
            if kind == "auth_success":
                counter += 1
                await self.send(ws, {"type": "start_assessment", "data": {}, "id": f"start-{counter}"})
            elif kind == "question":
                if answered >= MAX_QUESTIONS:
                    raise CommandError(f"Stopped after {MAX_QUESTIONS} questions.")
                options = data.get("options") or []
                choice = min(option, max(len(options) - 1, 0))
                answered += 1
                await self.send(
                    ws,
                    {
                        "type": "submit_answer",
                        "data": {
                            "question_id": data.get("question_id"),
                            # A question with several correct options takes a list.
                            **(
                                {"selected_options": [choice]}
                                if data.get("kind") == "multiple"
                                else {"selected_option": choice}
                            ),
                        },
                        "id": f"answer-{answered}",
                    },
                )
            elif kind == "assessment_completed":
                result = ", ".join(f"{k}={v}" for k, v in data.items() if k != "assessment_id")
                self.stdout.write(self.style.SUCCESS(f"completed after {answered} answer(s): {result}"))
                return
            elif kind == "session_replaced":
                raise CommandError("Another connection of this candidate took over the session.")
            elif kind == "error":
                code = data.get("code", "?")
                if code not in RECOVERABLE_ERRORS:
                    raise CommandError(f"The server refused: {code}: {data.get('message', '')}")

    async def send(self, ws: ClientConnection, message: dict[str, Any], *, shown: dict[str, Any] | None = None) -> None:
        self.stdout.write(f"→ {json.dumps(shown or message, ensure_ascii=False)}")
        await ws.send(json.dumps(message))
