"""Recruiters author tests in the admin: duplicate, publish and archive a test; review, deactivate and promote
generated questions; a void question stays inactive and an answered one keeps its options and key."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Question, QuestionRegrade, Test
from assessments.tests.admin_support import action, changelist, option_fields
from assessments.tests.backoffice_factories import attempt_with_answers
from assessments.tests.factories import QuestionFactory, SkillFactory, TestFactory, published_test_with_bank

pytestmark = pytest.mark.django_db


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
    assert reverse("admin:assessments_test_preview", args=[own_test.pk]) in change


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
        **option_fields(["x", "y"], key=1),  # ignored: locked
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
