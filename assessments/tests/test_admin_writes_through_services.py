"""The admin and the API write through the services, so the rules the admin used to go around hold on
every path: a test's status changes only through its actions, a skill with questions is never
deleted, an answered question's options and key stay locked, and an accommodation given through the
API moves a running attempt's deadline as the admin's does."""

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import RestrictedError
from django.test import Client
from django.urls import reverse

from assessments.errors import ApplicationError
from assessments.models import Assessment, AssessmentEvent, Question, Skill, Test
from assessments.services.questions import question_update
from assessments.tests.factories import (
    QuestionFactory,
    TestFactory,
    attempt_started,
    published_test_with_bank,
    question_served,
)

pytestmark = pytest.mark.django_db


def change_form_data(test: Test, **extra: str) -> dict[str, Any]:
    """The fields the Test change form posts, with empty inlines unless `extra` fills them in."""
    return {
        "title": test.title,
        "description": test.description,
        "job_description": test.job_description,
        "total_questions": str(test.total_questions),
        "time_limit_minutes": str(test.time_limit_minutes),
        "max_attempts": str(test.max_attempts),
        "pass_percentage": str(test.pass_percentage),
        "feedback_mode": test.feedback_mode,
        "requires_application": "on",
        "created_by": str(test.created_by_id),
        "skills-TOTAL_FORMS": "0",
        "skills-INITIAL_FORMS": "0",
        "questions-TOTAL_FORMS": "0",
        "questions-INITIAL_FORMS": "0",
        **extra,
    }


def test_editing_a_tests_status_in_the_admin_does_not_publish_it(admin_client: Client) -> None:
    """A draft with no bank would fail the publish action's readiness check; the status field no longer
    goes around it."""
    draft = TestFactory.create(status=Test.Status.DRAFT)

    response = admin_client.post(
        reverse("admin:assessments_test_change", args=[draft.pk]),
        change_form_data(draft, status=Test.Status.PUBLISHED, title="Renamed"),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    draft.refresh_from_db()
    assert (draft.title, draft.status) == ("Renamed", Test.Status.DRAFT)


def test_a_published_test_cannot_be_edited_into_one_its_bank_cannot_serve(admin_client: Client) -> None:
    """Saving used to go around `blueprint_update`, whose readiness check keeps a published test
    servable: here, no more questions an attempt than active bank questions."""
    published = published_test_with_bank(questions=4, total_questions=3)

    response = admin_client.post(
        reverse("admin:assessments_test_change", args=[published.pk]), change_form_data(published, total_questions="9")
    )

    assert response.status_code == 200
    assert "The bank has 4 active question(s) but the test asks 9." in response.content.decode()
    assert Test.objects.get(pk=published.pk).total_questions == 3


def test_a_published_tests_title_is_edited_through_the_service(admin_client: Client) -> None:
    published = published_test_with_bank(questions=4, total_questions=3)
    before = Test.objects.get(pk=published.pk).updated_at

    response = admin_client.post(
        reverse("admin:assessments_test_change", args=[published.pk]), change_form_data(published, title="Renamed")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    saved = Test.objects.get(pk=published.pk)
    assert (saved.title, saved.status) == ("Renamed", Test.Status.PUBLISHED)
    assert saved.updated_at > before


def test_a_skill_with_questions_cannot_be_deleted_in_the_admin(admin_client: Client) -> None:
    """The inline delete used to cascade to the skill's questions, where the API refuses it."""
    question = QuestionFactory.create()
    skill = question.skill
    form = change_form_data(
        skill.test,
        **{
            "skills-TOTAL_FORMS": "1",
            "skills-INITIAL_FORMS": "1",
            "skills-0-id": str(skill.pk),
            "skills-0-test": str(skill.test_id),
            "skills-0-name": skill.name,
            "skills-0-weight": str(skill.weight),
            "skills-0-difficulty": skill.difficulty,
            "skills-0-order": str(skill.order),
            "skills-0-DELETE": "on",
        },
    )

    response = admin_client.post(reverse("admin:assessments_test_change", args=[skill.test_id]), form)

    assert response.status_code == 200  # the form again, with the refusal
    assert "protected" in response.content.decode().lower()
    assert Skill.objects.filter(pk=skill.pk).exists()
    assert Question.objects.filter(pk=question.pk).exists()


def test_the_database_refuses_to_delete_a_skill_with_questions_on_any_path() -> None:
    question = QuestionFactory.create()

    with pytest.raises(RestrictedError):
        question.skill.delete()


def test_deleting_a_test_still_takes_its_skills_and_questions_with_it() -> None:
    question = QuestionFactory.create()

    question.test.delete()

    assert not Question.objects.filter(pk=question.pk).exists()
    assert not Skill.objects.filter(pk=question.skill_id).exists()


def answered_question() -> Question:
    from assessments.services.answers import answer_submit

    conn, outcome = attempt_started(questions=3, total=2)
    question_id = question_served(outcome)["question_id"]
    answer_submit(conn=conn, question_id=question_id, selected_option=0)
    return Question.objects.get(pk=question_id)


def test_the_service_locks_an_answered_questions_key_and_options() -> None:
    """The lock used to live only in the admin's form."""
    question = answered_question()

    with pytest.raises(ApplicationError) as refused:
        question_update(question=question, fields={"correct_option": 1})
    with pytest.raises(ApplicationError):
        question_update(question=question, fields={"options": ["a", "b", "c", "d"]})

    assert refused.value.code == "question_locked"
    assert refused.value.extra == {"fields": ["correct_option"]}
    fresh = Question.objects.get(pk=question.pk)
    assert (fresh.correct_option, fresh.options) == (question.correct_option, question.options)


def test_an_answered_questions_wording_can_still_be_edited_in_the_admin(admin_client: Client) -> None:
    question = answered_question()
    form = {
        "test": str(question.test_id),
        "skill": str(question.skill_id),
        "prompt": "Reworded prompt",
        "explanation": question.explanation,
        "difficulty": question.difficulty,
        "active": "on",
    }

    response = admin_client.post(reverse("admin:assessments_question_change", args=[question.pk]), form)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    question.refresh_from_db()
    assert question.prompt == "Reworded prompt"


def test_an_unanswered_questions_key_can_change_through_the_service() -> None:
    question = QuestionFactory.create()

    question_update(question=question, fields={"correct_option": 2})

    assert Question.objects.get(pk=question.pk).correct_option == 2


def test_an_accommodation_given_through_the_api_moves_the_running_attempt(api_client, recruiter) -> None:
    """`POST /api/tests/{id}/candidates/` used to set the multiplier alone: the running attempt kept its
    deadline, where the same change in the admin moved it and told the candidate."""
    conn, _ = attempt_started(created_by=recruiter, time_limit_minutes=30)
    attempt = Assessment.objects.get(candidate=conn.user)
    test = attempt.test
    api_client.force_authenticate(recruiter)

    response = api_client.post(
        f"/api/tests/{test.pk}/candidates/",
        {"username": conn.user.username, "time_multiplier": 1.5},
        format="json",
    )

    assert response.status_code == 200, response.content
    moved = test.assessments.get()
    assert moved.deadline_at - attempt.deadline_at == timedelta(minutes=15)
    assert AssessmentEvent.objects.filter(assessment=moved, type="time_extended").exists()
    assert moved.application is not None
    assert moved.application.time_multiplier == 1.5


def test_the_same_accommodation_again_moves_nothing(api_client, recruiter) -> None:
    conn, _ = attempt_started(created_by=recruiter)
    test = Assessment.objects.get(candidate=conn.user).test
    before = test.assessments.get().deadline_at
    api_client.force_authenticate(recruiter)

    response = api_client.post(
        f"/api/tests/{test.pk}/candidates/", {"username": conn.user.username, "time_multiplier": 1.0}, format="json"
    )

    assert response.status_code == 200, response.content
    assert test.assessments.get().deadline_at == before
    assert not AssessmentEvent.objects.filter(type="time_extended").exists()
