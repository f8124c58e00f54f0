"""One attempt in the back office: its report, the candidate's content escaped on every page that shows it,
and resetting it so the candidate may start again."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.ai.ability import Ability
from assessments.models import Assessment, CandidateSession, ChatMessage, IntegrityEvent, Test
from assessments.tests.admin_support import changelist
from assessments.tests.backoffice_factories import (
    XSS,
    XSS_ESCAPED,
    attempt_with_answers,
    attempt_with_record,
    first_question,
)
from assessments.tests.factories import UserFactory, published_test_with_bank

pytestmark = pytest.mark.django_db


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
    assert "{'" not in page  # the event log reads as fields, not as a Python dict
    assert "message: Tutor says: What is an index?" in page
    assert "pass mark 60%" in page
    assert 'id="print-report"' in page  # printable, or saved as a PDF, with its own stylesheet
    assert 'report_print.css" media="print"' in page
    assert client.get(reverse("admin:assessments_assessment_change", args=[attempt.pk])).status_code == 200


def test_an_ability_that_rounds_to_zero_reads_0_not_minus_0() -> None:
    assert Ability(theta=-0.0002, se=0.5, asked=1, correct=0).as_dict()["theta"] == 0.0
    assert str(Ability(theta=-0.0002, se=0.5, asked=1, correct=0).as_dict()["theta"]) == "0.0"


def test_the_breadcrumb_names_attempts_not_assessments_twice(admin_client: Client) -> None:
    page = admin_client.get(reverse("admin:assessments_assessment_changelist")).content.decode()
    assert "Assessments</a>\n&rsaquo; Attempts\n" in page


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
