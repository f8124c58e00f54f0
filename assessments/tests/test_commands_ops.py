"""The operators' commands: export_results, connections, reset_attempt, extend_attempt, assessment_client."""

import csv
import io
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command, load_command_class
from django.utils import timezone
from websockets.sync.server import ServerConnection, serve

from assessments.models import Assessment, CandidateSession, ChatMessage, IntegrityEvent
from assessments.tests.backoffice_factories import attempt_with_answers, attempt_with_record, first_question
from assessments.tests.factories import UserFactory, published_test_with_bank

COMMANDS = ["export_results", "connections", "reset_attempt", "extend_attempt", "assessment_client"]


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- every command: --help, and argument errors exit non-zero -----------------------------------------------


def manage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "jatayu.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    parser = load_command_class("assessments", command).create_parser("manage.py", command)
    text = parser.format_help()
    assert text.startswith(f"usage: manage.py {command}")
    assert len(parser.description or "") > 100


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["export_results", "abc"], "invalid int value: 'abc'"),
        (["export_results", "1", "--format", "xml"], "invalid choice: 'xml'"),
        (["extend_attempt", "1"], "the following arguments are required: minutes"),
        (["reset_attempt"], "the following arguments are required: assessment_id"),
        (["assessment_client", "--url", "ws://x/ws/assessment/1/"], "the following arguments are required"),
        (["connections", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_are_refused(args: list[str], error: str) -> None:
    with pytest.raises(CommandError, match=re.escape(error)):
        run(*args)


def test_from_the_command_line_help_exits_0_and_errors_non_zero() -> None:
    help_ = manage("extend_attempt", "--help")
    usage = manage("export_results", "abc")
    refused = manage("assessment_client", "--url", "http://x/", "--username", "u", "--password", "p")

    assert (help_.returncode, usage.returncode, refused.returncode) == (0, 2, 1)
    assert "usage: manage.py extend_attempt" in help_.stdout
    assert "invalid int value: 'abc'" in usage.stderr
    assert "CommandError: --url must be a ws:// or wss:// URL" in refused.stderr


# --- export_results ------------------------------------------------------------------------------------------


@pytest.fixture
def exported(db: None) -> dict[str, Any]:
    test = published_test_with_bank(questions=3, total_questions=3)
    q1, q2, q3 = test.questions.all()
    ann = attempt_with_answers(
        test=test,
        answers={q1: True, q2: False, q3: True},
        candidate=UserFactory.create(username="ann"),
        started_ago=timedelta(hours=2),
        minutes=5,
    )
    ann.ai_state = {"ability": {"overall": {"theta": 0.3, "se": 0.9, "asked": 3, "correct": 2}, "skills": {}}}
    ann.save()
    ben = attempt_with_answers(
        test=test, answers={q2: True}, candidate=UserFactory.create(username="=ben"), started_ago=timedelta(hours=1)
    )
    ChatMessage.objects.create(assessment=ann, role="candidate", content="hint please")
    IntegrityEvent.objects.create(assessment=ben, kind="paste")
    return {"test": test, "ann": ann, "ben": ben, "q": (q1, q2, q3)}


def test_export_results_csv_on_stdout(exported: dict[str, Any]) -> None:
    out, _ = run("export_results", str(exported["test"].pk))

    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["candidate"] for r in rows] == ["ann", "'=ben"]
    ann = rows[0]
    assert (ann["score"], ann["max_score"], ann["percentage"], ann["passed"]) == ("2", "3", "66.67", "true")
    assert (ann["time_taken_seconds"], ann["hints"], ann["integrity_events"]) == ("300", "1", "0")
    assert rows[1]["integrity_events"] == "1"
    assert out.startswith("assessment_id,candidate,email,attempt,status,")
    assert "\r\n" in out


def test_export_results_json(exported: dict[str, Any]) -> None:
    out, _ = run("export_results", str(exported["test"].pk), "--format", "json")

    rows = json.loads(out)
    assert [r["candidate"] for r in rows] == ["ann", "=ben"]
    assert rows[0]["ability"]["overall"]["theta"] == 0.3
    assert rows[0]["passed"] is True


def test_export_results_per_question_into_a_file(exported: dict[str, Any], tmp_path: Path) -> None:
    target = tmp_path / "answers.csv"

    out, err = run("export_results", str(exported["test"].pk), "--per-question", "--output", str(target))

    assert out == ""
    assert f"wrote 4 answer(s) of test {exported['test'].pk} to {target}" in err
    rows = list(csv.DictReader(target.open(encoding="utf-8", newline="")))
    q1, q2, _ = exported["q"]
    assert [(r["candidate"], r["question_id"], r["correct"]) for r in rows] == [
        ("ann", str(q1.pk), "true"),
        ("ann", str(q2.pk), "false"),
        ("ann", str(exported["q"][2].pk), "true"),
        ("'=ben", str(q2.pk), "true"),
    ]
    assert rows[1]["option_chosen"] == q2.options[1]
    assert rows[0]["time_taken_ms"] == "7001"


def test_export_results_per_question_json_with_a_progress_bar(exported: dict[str, Any]) -> None:
    out, _ = run("export_results", str(exported["test"].pk), "--per-question", "--format", "json", "--progress")
    assert len(json.loads(out)) == 4


def test_export_of_a_test_without_attempts(db: None) -> None:
    test = published_test_with_bank()
    assert run("export_results", str(test.pk), "--format", "json")[0] == "[]\n"
    assert run("export_results", str(test.pk))[0].count("\r\n") == 1


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["999999"], "Test 999999 does not exist."),
        (["{test}", "--output", "/no/such/dir/x.csv"], "the directory /no/such/dir does not exist"),
        (["{test}", "--format", "xml"], "invalid choice: 'xml'"),
    ],
)
def test_export_results_errors(exported: dict[str, Any], args: list[str], error: str) -> None:
    args = [a.replace("{test}", str(exported["test"].pk)) for a in args]
    with pytest.raises(CommandError, match=re.escape(error)):
        run("export_results", *args)


# --- connections ---------------------------------------------------------------------------------------------


def test_connections_counts_per_worker_and_per_test(db: None) -> None:
    backend = published_test_with_bank(title="Backend")
    data = published_test_with_bank(title="Data")
    now = timezone.now()
    live = [("w1:100", backend), ("w2:200", backend), ("w2:200", data), ("w2:200", None)]
    for i, (worker, test) in enumerate(live):
        CandidateSession.objects.create(
            key=f"live-{i}", candidate=UserFactory.create(), test=test, worker=worker, connected_at=now
        )
    CandidateSession.objects.create(
        key="gone", candidate=UserFactory.create(), test=data, worker="w1:100", connected_at=now, disconnected_at=now
    )

    text, _ = run("connections")
    summary = json.loads(run("connections", "--json")[0])

    assert "live connections: 4" in text
    assert "w2:200       3" in text
    assert f"#{backend.pk} Backend" in text
    assert "(no test: chat only)" in text
    assert summary["total"] == 4
    assert summary["per_worker"] == [{"worker": "w2:200", "connections": 3}, {"worker": "w1:100", "connections": 1}]
    assert {(t["test_id"], t["connections"]) for t in summary["per_test"]} == {(backend.pk, 2), (data.pk, 1), (None, 1)}


def test_connections_when_nobody_is_connected(db: None) -> None:
    assert run("connections")[0] == "live connections: 0\n"
    assert json.loads(run("connections", "--json")[0]) == {
        "total": 0,
        "per_worker": [],
        "per_test": [],
        "stale": 0,
        "stale_per_worker": [],
    }


# --- reset_attempt and extend_attempt ----------------------------------------------------------------------------


def test_reset_attempt_needs_yes(exported: dict[str, Any]) -> None:
    ann = exported["ann"]

    with pytest.raises(CommandError, match="Run again with --yes"):
        run("reset_attempt", str(ann.pk))
    assert Assessment.objects.filter(pk=ann.pk).exists()

    out, _ = run("reset_attempt", str(ann.pk), "--yes")

    assert "reset: deleted attempt 1 of 'ann'" in out
    assert "ann may start again." in out
    assert not Assessment.objects.filter(pk=ann.pk).exists()


def test_reset_attempt_terminates_a_running_attempt(
    db: None, group_sends: list, django_capture_on_commit_callbacks: Any
) -> None:
    test = published_test_with_bank()
    running = attempt_with_answers(test=test, answers={first_question(test): None}, status="in_progress")

    with django_capture_on_commit_callbacks(execute=True):
        out, _ = run("reset_attempt", str(running.pk), "--yes")

    assert "it was running and was terminated first" in out
    assert [event["message"]["type"] for _, event in group_sends] == ["assessment_completed"]


def test_reset_attempt_errors(db: None) -> None:
    test = published_test_with_bank(max_attempts=2)
    first = attempt_with_record(test=test, question=first_question(test))
    attempt_with_answers(test=test, answers={}, candidate=first.candidate)

    with pytest.raises(CommandError, match=re.escape("Assessment 999999 does not exist.")):
        run("reset_attempt", "999999", "--yes")
    with pytest.raises(CommandError, match="only the latest attempt can be reset"):
        run("reset_attempt", str(first.pk), "--yes")


def test_extend_attempt_pushes_time_extended(
    db: None, group_sends: list, django_capture_on_commit_callbacks: Any
) -> None:
    test = published_test_with_bank()
    running = attempt_with_answers(test=test, answers={first_question(test): None}, status="in_progress")
    before = running.deadline_at

    with django_capture_on_commit_callbacks(execute=True):
        out, _ = run("extend_attempt", str(running.pk), "15")

    running.refresh_from_db()
    assert running.deadline_at == before + timedelta(minutes=15)
    assert f"extended assessment {running.pk} by 15 minute(s)" in out
    ((group, event),) = group_sends
    assert (group, event["message"]["type"]) == (f"user_{running.candidate_id}", "time_extended")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["999999", "5"], "Assessment 999999 does not exist."),
        (["{finished}", "5"], "Only a running attempt can be extended."),
        (["{finished}", "0"], "MINUTES must be between 1 and 1440."),
        (["{finished}", "x"], "invalid int value: 'x'"),
    ],
)
def test_extend_attempt_errors(exported: dict[str, Any], args: list[str], error: str) -> None:
    args = [a.replace("{finished}", str(exported["ann"].pk)) for a in args]
    with pytest.raises(CommandError, match=re.escape(error)):
        run("extend_attempt", *args)


# --- assessment_client, against a scripted stand-in server -----------------------------------------------------


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

    out, _ = run(*client_args(fake_ws(fake), token_api, "--option", "5"))

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
