"""The operators' commands on the database: export_results (CSV or JSON, per attempt or per question),
connections (live sessions per worker and per test), reset_attempt and extend_attempt, and their errors."""

import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError
from django.utils import timezone

from assessments.models import Assessment, CandidateSession, ChatMessage, IntegrityEvent
from assessments.tests.backoffice_factories import attempt_with_answers, attempt_with_record, first_question
from assessments.tests.commands_support import run
from assessments.tests.factories import UserFactory, published_test_with_bank

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
