"""The recruiters' back office in the admin: tests, generated items, candidates, results, reports, reset."""

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.models import (
    Assessment,
    CandidateApplication,
    CandidateSession,
    ChatMessage,
    IntegrityEvent,
    Question,
    QuestionRegrade,
    Test,
)
from assessments.services.candidates import MAX_INVITES
from assessments.tests.backoffice_factories import (
    XSS,
    XSS_ESCAPED,
    attempt_with_answers,
    attempt_with_record,
    first_question,
)
from assessments.tests.factories import (
    ApplicationFactory,
    QuestionFactory,
    RecruiterFactory,
    SkillFactory,
    TestFactory,
    UserFactory,
    published_test_with_bank,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


def changelist(model: str) -> str:
    return reverse(f"admin:assessments_{model}_changelist")


def action(client: Client, model: str, name: str, ids: list[int], **params: Any) -> Any:
    return client.post(
        changelist(model), {"action": name, "_selected_action": [str(i) for i in ids], **params}, follow=True
    )


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


@pytest.fixture
def own_test(recruiter_client: tuple[Client, Any]) -> Test:
    return published_test_with_bank(created_by=recruiter_client[1], questions=4, total_questions=3)


# --- tests: duplicate, publish, archive --------------------------------------------------------------


def test_duplicate_copies_fields_skills_and_bank_as_a_draft_of_the_recruiter(
    recruiter_client: tuple[Client, Any], own_test: Test
) -> None:
    client, recruiter = recruiter_client
    generated = QuestionFactory.create(
        test=own_test, skill=own_test.skills.first(), source=Question.Source.GENERATED, prompt="Generated one?"
    )
    void = own_test.questions.filter(source=Question.Source.BANK).first()
    assert void is not None
    QuestionRegrade.objects.create(question=void, action=QuestionRegrade.Action.VOID)

    page = action(client, "test", "duplicate", [own_test.pk])

    assert page.status_code == 200
    copy = Test.objects.exclude(pk=own_test.pk).get()
    assert copy.title == f"Copy of {own_test.title}"
    assert f"Copy of {own_test.title}" in page.content.decode()
    assert copy.status == Test.Status.DRAFT
    assert copy.created_by == recruiter
    for name in ("job_description", "total_questions", "time_limit_minutes", "pass_percentage", "feedback_mode"):
        assert getattr(copy, name) == getattr(own_test, name)
    assert list(copy.skills.values_list("name", flat=True)) == list(own_test.skills.values_list("name", flat=True))
    copied = set(copy.questions.values_list("prompt", flat=True))
    assert copied == set(own_test.questions.exclude(pk__in=[generated.pk, void.pk]).values_list("prompt", flat=True))
    assert all(q.skill.test_id == copy.pk for q in copy.questions.select_related("skill"))


def test_publish_checks_readiness_and_archive(recruiter_client: tuple[Client, Any]) -> None:
    client, recruiter = recruiter_client
    ready = published_test_with_bank(created_by=recruiter, status=Test.Status.DRAFT, questions=3, total_questions=3)
    empty = TestFactory.create(created_by=recruiter, status=Test.Status.DRAFT, title="No skills yet")

    page = action(client, "test", "publish", [ready.pk, empty.pk]).content.decode()

    ready.refresh_from_db()
    empty.refresh_from_db()
    assert ready.status == Test.Status.PUBLISHED
    assert empty.status == Test.Status.DRAFT
    assert "No skills yet: not published: A test needs at least one skill" in page
    assert "Published 1 test(s)." in page

    action(client, "test", "archive", [ready.pk])
    ready.refresh_from_db()
    assert ready.status == Test.Status.ARCHIVED


def test_test_pages_are_linked_from_the_list_and_the_change_page(
    recruiter_client: tuple[Client, Any], own_test: Test
) -> None:
    client, _ = recruiter_client
    listing = client.get(changelist("test")).content.decode()
    change = client.get(reverse("admin:assessments_test_change", args=[own_test.pk])).content.decode()

    for url in (
        reverse("admin:assessments_test_monitor", args=[own_test.pk]),
        reverse("admin:assessments_test_analytics", args=[own_test.pk]),
        reverse("admin:assessments_test_invite", args=[own_test.pk]),
        f"{changelist('assessment')}?test__id__exact={own_test.pk}",
    ):
        assert url in listing
        assert url in change


# --- generated items: review, deactivate, promote ------------------------------------------------------


def test_generated_items_are_listed_deactivated_activated_and_promoted(
    recruiter_client: tuple[Client, Any], own_test: Test
) -> None:
    client, _ = recruiter_client
    skill = own_test.skills.first()
    generated = [
        QuestionFactory.create(test=own_test, skill=skill, source=Question.Source.GENERATED, prompt=f"Generated {i}?")
        for i in range(2)
    ]
    listing = client.get(changelist("question"), {"test__id__exact": str(own_test.pk), "source__exact": "generated"})
    assert "Generated 0?" in listing.content.decode()
    assert "Generated 1?" in listing.content.decode()
    assert client.get(reverse("admin:assessments_question_change", args=[generated[0].pk])).status_code == 200

    action(client, "question", "deactivate", [generated[0].pk])
    assert not Question.objects.get(pk=generated[0].pk).active
    action(client, "question", "activate", [generated[0].pk])
    assert Question.objects.get(pk=generated[0].pk).active

    page = action(client, "question", "promote", [q.pk for q in generated]).content.decode()
    assert "Promoted 2 generated question(s) to the bank." in page
    assert set(Question.objects.filter(pk__in=[q.pk for q in generated]).values_list("source", flat=True)) == {"bank"}


def test_a_void_question_stays_inactive(admin_client: Client) -> None:
    question = QuestionFactory.create(active=False)
    QuestionRegrade.objects.create(question=question, action=QuestionRegrade.Action.VOID)

    action(admin_client, "question", "activate", [question.pk])
    question.refresh_from_db()
    assert not question.active

    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(question.pk),
        "form-0-active": "on",
        "_save": "Save",
    }
    page = admin_client.post(changelist("question"), data).content.decode()
    assert "A void question cannot be activated." in page
    question.refresh_from_db()
    assert not question.active


def test_an_answered_questions_options_and_key_are_locked(admin_client: Client) -> None:
    test = TestFactory.create()
    question = QuestionFactory.create(test=test, skill=SkillFactory.create(test=test))
    attempt_with_answers(test=test, answers={question: True})
    url = reverse("admin:assessments_question_change", args=[question.pk])
    data = {
        "test": test.pk,
        "skill": question.skill_id,
        "prompt": "Reworded prompt?",
        "options": '["x", "y"]',
        "correct_option": "1",
        "explanation": "",
        "difficulty": "medium",
        "active": "on",
    }

    page = admin_client.get(url).content.decode()
    response = admin_client.post(url, data)

    assert "Regrade" in page
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.prompt == "Reworded prompt?"
    assert question.correct_option == 0
    assert question.options[0].startswith("right")


# --- candidates: invite, shortlist, reject, accommodation --------------------------------------------------


def invite_url(test: Test) -> str:
    return reverse("admin:assessments_test_invite", args=[test.pk])


def test_invite_one_new_candidate_shows_the_password_once(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    client, _ = recruiter_client
    assert client.get(invite_url(own_test)).status_code == 200

    page = client.post(invite_url(own_test), {"candidates": "dana,dana@example.com"}).content.decode()

    dana = User._default_manager.get(username="dana")
    application = CandidateApplication.objects.get(test=own_test, candidate=dana)
    assert application.status == CandidateApplication.Status.INVITED
    assert dana.email == "dana@example.com"
    assert not dana.is_staff
    line = next(line for line in page.splitlines() if line.startswith("dana,dana@example.com,"))
    assert dana.check_password(line.rsplit(",", 1)[1])
    again = client.get(invite_url(own_test)).content.decode()
    assert line not in again


def test_invite_many_from_a_pasted_list(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    client, _ = recruiter_client
    existing = UserFactory.create(username="erin", email="erin@old.example")
    rejected = ApplicationFactory.create(
        test=own_test, candidate=UserFactory.create(username="finn"), status=CandidateApplication.Status.REJECTED
    )
    RecruiterFactory.create(username="rita")
    pasted = (
        "username,email\nann ann@example.com\nben;ben@example.com\n\n# a comment\nerin,erin@new.example\nfinn\nrita\n"
    )

    page = client.post(invite_url(own_test), {"candidates": pasted}).content.decode()

    assert set(
        CandidateApplication.objects.filter(test=own_test, status="invited").values_list(
            "candidate__username", flat=True
        )
    ) == {"ann", "ben", "erin"}
    existing.refresh_from_db()
    assert existing.email == "erin@old.example"  # an existing account is never changed
    rejected.refresh_from_db()
    assert rejected.status == CandidateApplication.Status.REJECTED  # nor an existing application
    assert not CandidateApplication.objects.filter(candidate__username="rita").exists()
    assert "New accounts (2)" in page
    assert "Existing accounts invited (1)" in page
    assert "finn: Rejected" in page
    assert "rita: a staff account cannot be a candidate" in page


def test_invite_from_an_uploaded_csv(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    client, _ = recruiter_client
    upload = SimpleUploadedFile(
        "candidates.csv", "\ufeffusername,email\r\ngita,gita@example.com\r\nhari,\r\n".encode(), content_type="text/csv"
    )

    response = client.post(invite_url(own_test), {"candidates": "", "csv_file": upload})

    assert response.status_code == 200
    assert set(CandidateApplication.objects.filter(test=own_test).values_list("candidate__username", flat=True)) >= {
        "gita",
        "hari",
    }
    assert User._default_manager.get(username="hari").email == ""


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("ok1\nbad!name,x@example.com", "line 2: invalid username"),
        ("ok1,not-an-email", "line 1: invalid email address"),
        ("ok1\nok1", "line 2: &#x27;ok1&#x27; is listed twice (also on line 1)"),
        ("a,b@example.com,extra", "expected username,email but found 3 values"),
        ("", "Paste a list of candidates or choose a CSV file."),
        ("\n".join(f"user{i}" for i in range(MAX_INVITES + 1)), f"at most {MAX_INVITES} candidates at a time"),
    ],
)
def test_invite_refuses_a_bad_list_and_invites_nobody(
    recruiter_client: tuple[Client, Any], own_test: Test, text: str, error: str
) -> None:
    client, _ = recruiter_client
    before = User._default_manager.count()

    page = client.post(invite_url(own_test), {"candidates": text}).content.decode()

    assert error in page
    assert User._default_manager.count() == before
    assert not CandidateApplication.objects.filter(test=own_test).exists()


def test_invite_refuses_a_file_that_is_not_utf8(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    client, _ = recruiter_client
    upload = SimpleUploadedFile("c.csv", b"\xff\xfe\x00bad", content_type="text/csv")
    page = client.post(invite_url(own_test), {"csv_file": upload}).content.decode()
    assert "The file is not UTF-8 text." in page


def test_shortlist_and_reject(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    client, _ = recruiter_client
    first, second = (ApplicationFactory.create(test=own_test, status="invited") for _ in range(2))

    action(client, "candidateapplication", "shortlist", [first.pk])
    action(client, "candidateapplication", "reject", [second.pk])

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == CandidateApplication.Status.SHORTLISTED
    assert second.status == CandidateApplication.Status.REJECTED


def test_accommodation_moves_a_running_attempt_at_once(
    recruiter_client: tuple[Client, Any],
    own_test: Test,
    group_sends: list[tuple[str, dict[str, Any]]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client, _ = recruiter_client
    running = attempt_with_answers(
        test=own_test, answers={first_question(own_test): None}, status=Assessment.Status.IN_PROGRESS
    )
    application = running.application
    assert application is not None
    url = reverse("admin:assessments_candidateapplication_change", args=[application.pk])
    data = {
        "candidate": running.candidate.username,
        "test": own_test.pk,
        "status": application.status,
        "time_multiplier": "1.5",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)

    assert response.status_code == 302
    application.refresh_from_db()
    running.refresh_from_db()
    assert application.time_multiplier == 1.5
    assert running.deadline_at == running.started_at + timedelta(minutes=own_test.time_limit_minutes * 1.5)
    assert running.events.filter(type="time_extended").count() == 1
    ((group, event),) = group_sends
    assert group == f"user_{running.candidate_id}"
    assert event["message"]["type"] == "time_extended"


def test_changing_other_fields_leaves_the_running_attempt_alone(
    admin_client: Client, group_sends: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    test = published_test_with_bank()
    running = attempt_with_answers(
        test=test, answers={first_question(test): None}, status=Assessment.Status.IN_PROGRESS
    )
    application = running.application
    assert application is not None
    data = {"candidate": running.candidate.username, "test": test.pk, "status": "invited", "time_multiplier": "1.0"}

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:assessments_candidateapplication_change", args=[application.pk]), data)

    application.refresh_from_db()
    assert application.status == "invited"
    assert group_sends == []
    assert not running.events.filter(type="time_extended").exists()


# --- results: the attempts changelist, CSV exports ------------------------------------------------------------


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
        started_ago=timedelta(hours=1),
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
    for text in ("66.67", "4m 00s", "30m 00s", "report", "Integrity events", "Hints", "Time taken"):
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


# --- the report of one attempt ------------------------------------------------------------------------------


def test_attempt_report(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    client, _ = recruiter_client
    question = first_question(own_test)
    assert question is not None
    attempt = attempt_with_record(test=own_test, question=question, chat="What is an index?")
    attempt.ai_state = {
        "ability": {
            "overall": {"theta": 0.412, "se": 0.871, "asked": 1, "correct": 1},
            "skills": {question.skill.name: {"theta": 0.377, "se": 0.905, "asked": 1, "correct": 1}},
        },
        "usage": {"calls": 2, "input_tokens": 300, "output_tokens": 120, "cost_usd": 0.0012},
    }
    attempt.save()

    response = client.get(reverse("admin:assessments_assessment_report", args=[attempt.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    served = [question.options[i] for i in (2, 0, 3, 1)]
    positions = [
        page.index(f'<li class="{cls}">{text}') for text, cls in zip(served, ("", "chosen key", "", ""), strict=True)
    ]
    assert positions == sorted(positions)  # in the order served
    assert f"{question.options[0]} ✔ ← chosen" in page
    assert "7001 ms" in page
    assert "What is an index?" in page
    assert "Tutor says: What is an index?" in page
    assert "Paste" in page
    assert "system_message" in page
    assert "0.377" in page
    assert "0.905" in page
    assert "0.412" in page
    assert "2 call(s)" in page
    assert client.get(reverse("admin:assessments_assessment_change", args=[attempt.pk])).status_code == 200


def test_candidate_content_is_escaped_on_every_back_office_page(admin_client: Client) -> None:
    test = published_test_with_bank(questions=2, total_questions=2)
    question = first_question(test)
    assert question is not None
    candidate = UserFactory.create(username=XSS[:150], email="x@example.com")
    attempt = attempt_with_record(test=test, question=question, candidate=candidate, chat=f"hi {XSS}")
    running = attempt_with_answers(test=test, answers={question: None}, status="in_progress")
    ChatMessage.objects.create(assessment=running, role="candidate", content=XSS)
    IntegrityEvent.objects.create(assessment=attempt, kind="copy")
    CandidateSession.objects.create(key="x", candidate=candidate, test=test, worker=XSS, connected_at=timezone.now())

    pages = {
        "report": reverse("admin:assessments_assessment_report", args=[attempt.pk]),
        "results": f"{changelist('assessment')}?test__id__exact={test.pk}",
        "monitor": reverse("admin:assessments_test_monitor", args=[test.pk]),
        "analytics": reverse("admin:assessments_test_analytics", args=[test.pk]),
        "applications": changelist("candidateapplication"),
        "regrade": reverse("admin:assessments_question_regrade", args=[question.pk]),
        "reset": reverse("admin:assessments_assessment_reset", args=[attempt.pk]),
    }
    for name, url in pages.items():
        page = admin_client.get(url).content.decode()
        assert XSS not in page, name
    report = admin_client.get(pages["report"]).content.decode()
    assert f"hi {XSS_ESCAPED}" in report
    assert XSS_ESCAPED in report.replace(f"hi {XSS_ESCAPED}", "")
    assert XSS_ESCAPED in admin_client.get(pages["monitor"]).content.decode()
    plan = admin_client.post(pages["regrade"], {"action": "rescore", "dry_run": "1"}).content.decode()
    assert XSS not in plan
    assert XSS_ESCAPED in plan
    data = admin_client.get(reverse("admin:assessments_test_monitor_data", args=[test.pk]))
    assert data["Content-Type"] == "application/json"


# --- reset ---------------------------------------------------------------------------------------------------


def test_reset_deletes_the_attempt_after_confirmation(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    client, _ = recruiter_client
    question = first_question(own_test)
    assert question is not None
    attempt = attempt_with_record(test=own_test, question=question)
    url = reverse("admin:assessments_assessment_reset", args=[attempt.pk])

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "This cannot be undone." in confirm.content.decode()
    assert Assessment.objects.filter(pk=attempt.pk).exists()

    done = client.post(url, follow=True)

    assert not Assessment.objects.filter(pk=attempt.pk).exists()
    assert not ChatMessage.objects.filter(assessment_id=attempt.pk).exists()
    assert "the candidate may start again" in done.content.decode()


def test_reset_refuses_an_earlier_attempt(admin_client: Client) -> None:
    test = published_test_with_bank(max_attempts=2)
    question = first_question(test)
    first = attempt_with_answers(test=test, answers={question: True})
    attempt_with_answers(test=test, answers={question: True}, candidate=first.candidate)

    page = admin_client.post(reverse("admin:assessments_assessment_reset", args=[first.pk]), follow=True)

    assert "only the latest attempt can be reset" in page.content.decode()
    assert Assessment.objects.filter(pk=first.pk).exists()


# --- the permission boundary ----------------------------------------------------------------------------------


@pytest.fixture
def theirs() -> dict[str, Any]:
    """Another recruiter's test with a running attempt, a finished one, and a question."""
    test = published_test_with_bank(questions=2, total_questions=2, title="Theirs: mobile")
    question = first_question(test)
    assert question is not None
    finished = attempt_with_record(test=test, question=question, chat="their chat")
    running = attempt_with_answers(test=test, answers={question: None}, status="in_progress")
    return {"test": test, "question": question, "finished": finished, "running": running}


def other_pages(theirs: dict[str, Any]) -> list[str]:
    t, q, a = theirs["test"].pk, theirs["question"].pk, theirs["finished"].pk
    return [
        reverse("admin:assessments_test_monitor", args=[t]),
        reverse("admin:assessments_test_monitor_data", args=[t]),
        reverse("admin:assessments_test_analytics", args=[t]),
        reverse("admin:assessments_test_results_csv", args=[t]),
        reverse("admin:assessments_test_responses_csv", args=[t]),
        reverse("admin:assessments_test_invite", args=[t]),
        reverse("admin:assessments_question_regrade", args=[q]),
        reverse("admin:assessments_assessment_report", args=[a]),
        reverse("admin:assessments_assessment_reset", args=[a]),
    ]


def test_a_recruiter_cannot_see_another_recruiters_pages(
    recruiter_client: tuple[Client, Any], theirs: dict[str, Any]
) -> None:
    client, _ = recruiter_client
    for url in other_pages(theirs):
        assert client.get(url).status_code == 404, url
    listing = client.get(changelist("assessment")).content.decode()
    assert "their chat" not in listing
    assert "Theirs: mobile" not in listing


def test_a_recruiter_cannot_act_on_another_recruiters_test(
    recruiter_client: tuple[Client, Any],
    theirs: dict[str, Any],
    group_sends: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client, _ = recruiter_client
    t, running = theirs["test"], theirs["running"]
    deadline = running.deadline_at
    posts = {
        reverse("admin:assessments_test_monitor_extend", args=[t.pk]): {"assessment": running.pk, "minutes": 5},
        reverse("admin:assessments_test_monitor_terminate", args=[t.pk]): {"assessment": running.pk, "reason": "x"},
        reverse("admin:assessments_test_monitor_announce", args=[t.pk]): {"message": "hello"},
        reverse("admin:assessments_test_invite", args=[t.pk]): {"candidates": "intruder"},
        reverse("admin:assessments_question_regrade", args=[theirs["question"].pk]): {"action": "void", "apply": "1"},
        reverse("admin:assessments_assessment_reset", args=[theirs["finished"].pk]): {},
    }
    with django_capture_on_commit_callbacks(execute=True):
        for url, data in posts.items():
            assert client.post(url, data).status_code == 404, url
        # Their attempt through a form of the recruiter's own test: refused too.
        own = published_test_with_bank(created_by=recruiter_client[1])
        page = client.post(
            reverse("admin:assessments_test_monitor_extend", args=[own.pk]),
            {"assessment": running.pk, "minutes": 5},
            follow=True,
        )
    assert "that attempt is not part of this test" in page.content.decode()
    running.refresh_from_db()
    assert (running.status, running.deadline_at) == ("in_progress", deadline)
    assert Assessment.objects.filter(pk=theirs["finished"].pk).exists()
    assert not QuestionRegrade.objects.exists()
    assert not User._default_manager.filter(username="intruder").exists()
    assert group_sends == []
    own_actions = action(client, "test", "archive", [t.pk])
    assert own_actions.status_code == 200
    t.refresh_from_db()
    assert t.status == Test.Status.PUBLISHED


def test_staff_outside_the_recruiters_group_gets_no_page(client: Client, theirs: dict[str, Any]) -> None:
    staff = UserFactory.create(is_staff=True)
    client.force_login(staff)
    for url in other_pages(theirs):
        assert client.get(url).status_code in (403, 404), url
    assert client.get(reverse("admin:assessments_questionregrade_changelist")).status_code == 403


def test_superusers_see_every_page(admin_client: Client, theirs: dict[str, Any]) -> None:
    for url in other_pages(theirs):
        assert admin_client.get(url).status_code == 200, url
