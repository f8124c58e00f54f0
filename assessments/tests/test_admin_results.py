"""A test's results in the admin: the attempts changelist (hints, integrity events, time taken; sorting and
filtering) and the CSV exports of attempts and of answers."""

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment, ChatMessage, IntegrityEvent, Test
from assessments.tests.admin_support import action, changelist
from assessments.tests.backoffice_factories import attempt_with_answers
from assessments.tests.factories import UserFactory, published_test_with_bank

pytestmark = pytest.mark.django_db


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


@pytest.fixture
def results(own_test: Test) -> dict[str, Assessment]:
    q1, q2, q3 = own_test.questions.all()[:3]
    ann = attempt_with_answers(
        test=own_test,
        answers={q1: True, q2: True, q3: False},
        candidate=UserFactory.create(username="ann"),
        minutes=4,
        started_ago=timedelta(hours=3),
    )
    ben = attempt_with_answers(
        test=own_test,
        answers={q1: False, q2: None},
        candidate=UserFactory.create(username="-ben"),
        status=Assessment.Status.TIMED_OUT,
        max_score=3,
        minutes=30,
        end_reason="time_up",
        started_ago=timedelta(hours=2),
    )
    cid = attempt_with_answers(
        test=own_test,
        answers={q2: True},
        candidate=UserFactory.create(username="cid"),
        status="in_progress",
        started_ago=timedelta(minutes=5),  # still within its 30 minutes
    )
    for content in ("what is a join?", "and an index?"):
        ChatMessage.objects.create(assessment=ann, role=ChatMessage.Role.CANDIDATE, content=content)
    ChatMessage.objects.create(assessment=ann, role=ChatMessage.Role.TUTOR, content="A join combines rows.")
    for kind in ("tab_hidden", "paste", "copy"):
        IntegrityEvent.objects.create(assessment=ben, kind=kind)
    return {"ann": ann, "ben": ben, "cid": cid}


def test_results_table_per_test(recruiter_client: tuple[Client, Any], own_test: Test, results: dict) -> None:
    client, _ = recruiter_client
    response = client.get(changelist("assessment"), {"test__id__exact": str(own_test.pk), "o": "1"})

    assert response.status_code == 200
    rows = {a.candidate.username: a for a in response.context["cl"].result_list}
    assert set(rows) == {"ann", "-ben", "cid"}
    assert (rows["ann"]._hints, rows["ann"]._integrity) == (2, 0)
    assert (rows["-ben"]._hints, rows["-ben"]._integrity) == (0, 3)
    assert rows["ann"]._time_taken == timedelta(minutes=4)
    assert rows["cid"]._time_taken is None
    page = response.content.decode()
    for text in ("66.67", "4m 00s", "30m 00s", "report", "Integrity", "Hints", "Time taken"):
        assert text in page


@pytest.mark.parametrize("column", ["-3", "5", "-6", "7", "8", "9", "-10"])  # with no test column
def test_results_table_sorts_by_each_column(
    recruiter_client: tuple[Client, Any], own_test: Test, results: dict, column: str
) -> None:
    client, _ = recruiter_client
    response = client.get(changelist("assessment"), {"test__id__exact": str(own_test.pk), "o": column})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 3


def test_results_sort_and_filter_results(recruiter_client: tuple[Client, Any], own_test: Test, results: dict) -> None:
    client, _ = recruiter_client
    by_hints = client.get(changelist("assessment"), {"test__id__exact": str(own_test.pk), "o": "-9"}).context["cl"]
    by_integrity = client.get(changelist("assessment"), {"test__id__exact": str(own_test.pk), "o": "-10"}).context["cl"]
    timed_out = client.get(
        changelist("assessment"), {"test__id__exact": str(own_test.pk), "status__exact": "timed_out"}
    )
    passed = client.get(changelist("assessment"), {"test__id__exact": str(own_test.pk), "passed__exact": "1"})

    assert by_hints.result_list[0].candidate.username == "ann"
    assert by_integrity.result_list[0].candidate.username == "-ben"
    assert [a.candidate.username for a in timed_out.context["cl"].result_list] == ["-ben"]
    assert [a.candidate.username for a in passed.context["cl"].result_list] == ["ann"]


def test_results_csv(recruiter_client: tuple[Client, Any], own_test: Test, results: dict) -> None:
    client, _ = recruiter_client
    response = client.get(reverse("admin:assessments_test_results_csv", args=[own_test.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="test-{own_test.pk}-' in response["Content-Disposition"]
    rows = csv_rows(response.content)
    assert [r["candidate"] for r in rows] == ["ann", "'-ben", "cid"]  # oldest first; formula neutralized
    ann, ben, cid = rows
    assert ann == {
        "assessment_id": str(results["ann"].pk),
        "candidate": "ann",
        "email": "ann@example.com",
        "attempt": "1",
        "status": "completed",
        "end_reason": "all_answered",
        "score": "2",
        "max_score": "3",
        "percentage": "66.67",
        "passed": "true",
        "started_at": results["ann"].started_at.isoformat(),
        "ended_at": results["ann"].ended_at.isoformat(),
        "time_taken_seconds": "240",
        "hints": "2",
        "integrity_events": "0",
    }
    assert (ben["status"], ben["score"], ben["max_score"], ben["passed"]) == ("timed_out", "0", "3", "false")
    assert (ben["time_taken_seconds"], ben["integrity_events"]) == ("1800", "3")
    assert (cid["status"], cid["ended_at"], cid["time_taken_seconds"], cid["passed"]) == ("in_progress", "", "", "")


def test_responses_csv(recruiter_client: tuple[Client, Any], own_test: Test, results: dict) -> None:
    client, _ = recruiter_client
    response = client.get(reverse("admin:assessments_test_responses_csv", args=[own_test.pk]))

    rows = csv_rows(response.content)
    assert len(rows) == 3 + 2 + 1
    q1 = own_test.questions.all()[0]
    first = rows[0]
    assert first["candidate"] == "ann"
    assert first["question_id"] == str(q1.pk)
    assert first["question"] == q1.prompt
    assert first["option_chosen"] == q1.options[q1.correct_option]
    assert first["correct"] == "true"
    assert first["time_taken_ms"] == "7001"
    ben_first, ben_unanswered = rows[3], rows[4]
    assert ben_first["candidate"] == "'-ben"
    assert ben_first["correct"] == "false"
    assert ben_first["option_chosen"] == q1.options[1]
    assert (ben_unanswered["option_chosen"], ben_unanswered["correct"], ben_unanswered["time_taken_ms"]) == ("", "", "")
    assert {r["void"] for r in rows} == {"false"}


def test_export_actions_on_the_selected_attempts(
    recruiter_client: tuple[Client, Any], own_test: Test, results: dict
) -> None:
    client, _ = recruiter_client
    ids = [results["ann"].pk, results["cid"].pk]

    attempts = client.post(changelist("assessment"), {"action": "export_results", "_selected_action": ids})
    answers = client.post(changelist("assessment"), {"action": "export_responses", "_selected_action": ids})

    assert [r["candidate"] for r in csv_rows(attempts.content)] == ["ann", "cid"]
    assert [r["candidate"] for r in csv_rows(answers.content)] == ["ann", "ann", "ann", "cid"]


def test_export_action_wants_one_test(admin_client: Client, results: dict) -> None:
    other = attempt_with_answers(test=published_test_with_bank(), answers={})
    page = action(admin_client, "assessment", "export_results", [results["ann"].pk, other.pk]).content.decode()
    assert "Select attempts of one test to export" in page


def test_each_attempt_has_a_one_line_integrity_summary_in_the_list_and_the_report(
    recruiter_client: tuple[Client, Any], own_test: Test, results: dict
) -> None:
    client, _ = recruiter_client
    ben = results["ben"]
    fast = ben.responses.order_by("position").first()
    assert fast is not None
    type(fast).objects.filter(pk=fast.pk).update(time_taken_ms=1200)
    ChatMessage.objects.create(assessment=ben, role=ChatMessage.Role.TUTOR, content="…", blocked_leak=True)

    page = client.get(changelist("assessment"), {"test__id__exact": str(own_test.pk)}).content.decode()
    report = client.get(reverse("admin:assessments_assessment_report", args=[ben.pk])).content.decode()

    line = "1 tab switch · 1 paste · 1 copy · 1 answer leak blocked · 1 answer too fast to read · 1 s a question"
    assert f'<span class="flag">{line}</span>' in page
    assert f"{line}." in report
    assert '<span class="">nothing noted · 7 s a question</span>' in page  # ann: no event, answers of about 7 s
