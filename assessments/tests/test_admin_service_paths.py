"""Every write the admin makes to a blueprint goes through a service: adding a test, adding, changing
and deleting its skills, adding and deleting questions, deleting a test. Before, these saved the
model directly, so a rule a service holds (an owner, a skill that keeps its questions, an answered
question kept for the scores that rest on it) held in the admin only where Django's forms happened to
check it. Each test records which services the admin called and checks what they wrote."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from assessments.admin import blueprints as blueprint_admin
from assessments.admin import questions as question_admin
from assessments.errors import ApplicationError
from assessments.models import Question, Skill, Test
from assessments.services.questions import question_delete
from assessments.services.skills import skill_delete
from assessments.tests.admin_support import option_fields
from assessments.tests.factories import QuestionFactory, SkillFactory, TestFactory
from assessments.tests.test_admin_writes_through_services import answered_question, change_form_data

pytestmark = pytest.mark.django_db

SPIED = {
    blueprint_admin: ("blueprint_create", "blueprint_delete", "skill_add", "skill_update", "skill_delete"),
    question_admin: ("question_create", "question_delete"),
}


@pytest.fixture
def called(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the services the admin called, in order (each still does its work)."""
    names: list[str] = []

    def recording(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            names.append(name)
            return real(*args, **kwargs)

        return call

    for module, services in SPIED.items():
        for name in services:
            monkeypatch.setattr(module, name, recording(name, getattr(module, name)))
    return names


def skill_row(index: int, skill: Skill | None = None, **fields: str) -> dict[str, str]:
    values = {"name": "", "weight": "1", "difficulty": "medium", "order": str(index), **fields}
    if skill is not None:
        values = {"id": str(skill.pk), "test": str(skill.test_id), "name": skill.name, **fields}
        values.setdefault("weight", str(skill.weight))
        values.setdefault("difficulty", skill.difficulty)
        values.setdefault("order", str(skill.order))
    return {f"skills-{index}-{name}": value for name, value in values.items()}


def test_adding_a_test_with_skills_goes_through_blueprint_create_and_skill_add(
    admin_client: Client, admin_user: Any, called: list[str]
) -> None:
    blank = TestFactory.build(title="Data engineer", created_by=admin_user)
    form = change_form_data(
        blank,
        **{"created_by": "", "skills-TOTAL_FORMS": "2"},
        **skill_row(0, name="SQL", weight="2"),
        **skill_row(1, name="Python", difficulty="easy"),
    )

    response = admin_client.post(reverse("admin:assessments_test_add"), form)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert called == ["blueprint_create", "skill_add", "skill_add"]
    test = Test.objects.get(title="Data engineer")
    assert test.created_by == admin_user
    assert list(test.skills.values_list("name", "weight", "difficulty")) == [
        ("SQL", 2.0, "medium"),
        ("Python", 1.0, "easy"),
    ]
    assert response["Location"] == reverse("admin:assessments_test_changelist")


def test_skills_are_renamed_deleted_and_added_through_their_services(admin_client: Client, called: list[str]) -> None:
    test = TestFactory.create(status=Test.Status.DRAFT)  # a published one must keep its bank servable
    kept, dropped = (
        SkillFactory.create(test=test, name="SQL", order=0),
        SkillFactory.create(test=test, name="Go", order=1),
    )
    form = change_form_data(
        test,
        **{"skills-TOTAL_FORMS": "3", "skills-INITIAL_FORMS": "2"},
        **skill_row(0, kept, name="PostgreSQL"),
        **skill_row(1, dropped, DELETE="on"),
        **skill_row(2, name="SQL", order="2"),  # the old name, free once the rename is saved
    )

    response = admin_client.post(reverse("admin:assessments_test_change", args=[test.pk]), form)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert called == ["skill_delete", "skill_update", "skill_add"]
    assert list(test.skills.values_list("name", flat=True)) == ["PostgreSQL", "SQL"]
    assert Skill.objects.get(pk=kept.pk).name == "PostgreSQL"


def test_a_question_added_on_its_page_goes_through_question_create(admin_client: Client, called: list[str]) -> None:
    skill = SkillFactory.create(name="HTTP")
    form = {
        "test": skill.test_id,
        "skill": skill.pk,
        "prompt": "Which status code means Created?",
        **option_fields(["200", "204", "201", "202"], key=2),
        "explanation": "201 Created.",
        "difficulty": "easy",
    }

    response = admin_client.post(reverse("admin:assessments_question_add"), form)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert called == ["question_create"]
    question = Question.objects.get(prompt="Which status code means Created?")
    assert (question.skill, question.correct_option, question.active) == (skill, 2, False)  # unticked: inactive
    assert response["Location"] == reverse("admin:assessments_question_changelist")


def test_a_question_added_in_the_tests_bank_goes_through_question_create(
    admin_client: Client, called: list[str]
) -> None:
    skill = SkillFactory.create(name="HTTP", test=TestFactory.create(status=Test.Status.DRAFT))
    row = {
        "skill": str(skill.pk),
        "prompt": "Which method is idempotent?",
        **option_fields(["POST", "PUT"], key=1),
        "difficulty": "medium",
        "active": "on",
    }
    form = change_form_data(
        skill.test,
        **{"skills-TOTAL_FORMS": "1", "skills-INITIAL_FORMS": "1", "questions-TOTAL_FORMS": "1"},
        **skill_row(0, skill),
        **{f"questions-0-{name}": value for name, value in row.items()},
    )

    response = admin_client.post(reverse("admin:assessments_test_change", args=[skill.test_id]), form)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert called == ["question_create"]
    assert Question.objects.get(prompt="Which method is idempotent?").options == ["POST", "PUT"]


def test_deleting_a_question_and_a_test_goes_through_their_services(admin_client: Client, called: list[str]) -> None:
    question = QuestionFactory.create()
    test = TestFactory.create()

    deleted_question = admin_client.post(
        reverse("admin:assessments_question_delete", args=[question.pk]), {"post": "yes"}
    )
    deleted_test = admin_client.post(reverse("admin:assessments_test_delete", args=[test.pk]), {"post": "yes"})

    assert (deleted_question.status_code, deleted_test.status_code) == (302, 302)
    assert called == ["question_delete", "blueprint_delete"]
    assert not Question.objects.filter(pk=question.pk).exists()
    assert not Test.objects.filter(pk=test.pk).exists()


def test_the_services_refuse_to_delete_what_answers_rest_on() -> None:
    question = answered_question()
    with_questions = QuestionFactory.create().skill

    with pytest.raises(ApplicationError) as answered:
        question_delete(question=question)
    with pytest.raises(ApplicationError) as skill_in_use:
        skill_delete(skill=with_questions)

    assert (answered.value.code, skill_in_use.value.code) == ("question_locked", "skill_has_questions")
    assert Question.objects.filter(pk=question.pk).exists()
    assert Skill.objects.filter(pk=with_questions.pk).exists()
