"""The back office's permission boundary: a recruiter neither sees nor acts on another recruiter's test,
staff outside the recruiters group get no page, and superusers see every page."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment, QuestionRegrade, Test
from assessments.tests.admin_support import action, changelist
from assessments.tests.backoffice_factories import attempt_with_answers, attempt_with_record, first_question
from assessments.tests.factories import UserFactory, published_test_with_bank

pytestmark = pytest.mark.django_db
User = get_user_model()


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
        assert client.get(url).status_code == 404, url  # outside its scope, a page does not exist
    assert client.get(reverse("admin:assessments_questionregrade_changelist")).status_code == 403


def test_superusers_see_every_page(admin_client: Client, theirs: dict[str, Any]) -> None:
    for url in other_pages(theirs):
        assert admin_client.get(url).status_code == 200, url
