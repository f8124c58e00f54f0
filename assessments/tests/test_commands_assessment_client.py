"""The assessment_client command against a scripted stand-in server: a whole attempt, a refused sign-in,
a refused start, silence, bad arguments and nothing listening."""

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.management import CommandError
from websockets.sync.server import ServerConnection, serve

from assessments.tests.commands_support import run


class FakeJatayu:
    """A token endpoint and a WebSocket endpoint that speak just enough of the protocol."""

    def __init__(self, *, questions: int = 2, refuse_start: bool = False, stall: bool = False) -> None:
        self.questions = questions
        self.refuse_start = refuse_start
        self.stall = stall
        self.received: list[dict[str, Any]] = []

    def handle(self, ws: ServerConnection) -> None:
        def send(kind: str, data: dict[str, Any]) -> None:
            ws.send(json.dumps({"type": kind, "data": data}))

        auth = json.loads(ws.recv())
        self.received.append(auth)
        if auth["data"].get("token") != "good-token":
            send("error", {"code": "auth_failed", "message": "Invalid token."})
            ws.close(4001)
            return
        send("auth_success", {"user_id": 7, "connection_id": "7_3", "recovered": False, "assessment": None})
        self.received.append(json.loads(ws.recv()))
        if self.refuse_start:
            send("error", {"code": "attempts_exhausted", "message": "All 1 attempt(s) for this test are used."})
            ws.close(4003)
            return
        if self.stall:
            ws.recv()  # waits until the client gives up
            return
        send("assessment_started", {"assessment_id": 12, "total_questions": self.questions})
        for position in range(1, self.questions + 1):
            send("question", {"question_id": 40 + position, "position": position, "options": ["a", "b", "c"]})
            self.received.append(json.loads(ws.recv()))
            send("answer_feedback", {"question_id": 40 + position, "accepted": True})
        send("assessment_completed", {"assessment_id": 12, "status": "completed", "score": 1, "max_score": 2})


class TokenHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        good = body == {"username": "cand", "password": "pw"}
        payload = {"access": "good-token", "refresh": "r"} if good else {"detail": "No active account found"}
        data = json.dumps(payload).encode()
        self.send_response(200 if good else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def token_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), TokenHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_ws() -> Iterator[Any]:
    servers = []

    def start(fake: FakeJatayu) -> str:
        server = serve(fake.handle, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"ws://127.0.0.1:{server.socket.getsockname()[1]}/ws/assessment/3/"

    yield start
    for server in servers:
        server.shutdown()


def client_args(url: str, api: str, *extra: str, password: str = "pw") -> list[str]:
    return ["assessment_client", "--url", url, "--api-url", api, "--username", "cand", "--password", password, *extra]


def test_assessment_client_runs_a_whole_attempt(token_api: str, fake_ws: Any) -> None:
    fake = FakeJatayu(questions=2)

    out, err = run(*client_args(fake_ws(fake), token_api, "--option", "5"))

    assert "takes a real attempt" in err  # it used one up without saying so
    lines = out.splitlines()
    assert lines[0] == f"signed in as cand at {token_api}/api/auth/token/"
    assert '→ {"type": "auth", "data": "…"}' in lines
    assert "good-token" not in out
    assert sum(1 for line in lines if line.startswith("← ")) == 7
    assert lines[-1].startswith("completed after 2 answer(s): status=completed, score=1, max_score=2")
    answers = [m for m in fake.received if m["type"] == "submit_answer"]
    assert [a["data"] for a in answers] == [
        {"question_id": 41, "selected_option": 2},  # --option 5 is past the last of three options
        {"question_id": 42, "selected_option": 2},
    ]
    assert fake.received[1] == {"type": "start_assessment", "data": {}, "id": "start-1"}


def test_assessment_client_fails_on_a_refused_sign_in(token_api: str, fake_ws: Any) -> None:
    with pytest.raises(CommandError, match=r"Sign-in refused by .* \(HTTP 401\): .*No active account"):
        run(*client_args(fake_ws(FakeJatayu()), token_api, password="wrong"))


def test_assessment_client_fails_when_the_server_refuses(token_api: str, fake_ws: Any) -> None:
    with pytest.raises(CommandError, match="The server refused: attempts_exhausted"):
        run(*client_args(fake_ws(FakeJatayu(refuse_start=True)), token_api))


def test_assessment_client_gives_up_on_silence(token_api: str, fake_ws: Any) -> None:
    with pytest.raises(CommandError, match=re.escape("No message from the server within 0.5 s.")):
        run(*client_args(fake_ws(FakeJatayu(stall=True)), token_api, "--timeout", "0.5"))


@pytest.mark.parametrize(
    ("url", "extra", "error"),
    [
        ("http://127.0.0.1:1/ws/assessment/3/", [], "--url must be a ws:// or wss:// URL"),
        ("ws://127.0.0.1:1/ws/chat/", [], "--url must name a test"),
        ("ws://127.0.0.1:1/ws/assessment/3/", ["--option", "-1"], "--option must be 0 or more"),
        ("ws://127.0.0.1:1/ws/assessment/3/", ["--timeout", "0"], "--timeout must be positive"),
        ("ws://127.0.0.1:1/ws/assessment/3/", [], "Cannot sign in at http://127.0.0.1:1/api/auth/token/"),
        ("ws://127.0.0.1:1/ws/assessment/?test_id=3", ["--api-url", "ftp://x"], "--api-url must be an http"),
    ],
)
def test_assessment_client_argument_errors(url: str, extra: list[str], error: str) -> None:
    with pytest.raises(CommandError, match=re.escape(error)):
        run("assessment_client", "--url", url, "--username", "u", "--password", "p", *extra)


def test_assessment_client_fails_when_nothing_listens(token_api: str) -> None:
    with pytest.raises(CommandError, match=re.escape("Cannot connect to ws://127.0.0.1:1/ws/assessment/3/")):
        run(*client_args("ws://127.0.0.1:1/ws/assessment/3/", token_api))
