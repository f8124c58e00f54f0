"""The blueprint services, called directly: validation, atomicity and the publish rules."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from assessments import models
from assessments.errors import ApplicationError
from assessments.services import blueprints, candidates
from assessments.services.blueprints import QuestionSpec, SkillSpec
from assessments.services.candidates import CandidateAddResult
from assessments.tests import factories

pytestmark = pytest.mark.django_db


def question(skill: str, n: int = 0, **overrides: object) -> QuestionSpec:
    fields: dict = {"skill": skill, "prompt": f"Q{n}?", "options": [f"a{n}", f"b{n}"], "correct_option": 1}
    fields.update(overrides)
    return QuestionSpec(**fields)


def test_services_take_keyword_arguments_only(recruiter):
    with pytest.raises(TypeError):
        blueprints.blueprint_create(recruiter, {"title": "T"})  # type: ignore[misc]


def test_create_stores_skills_in_order_and_questions(recruiter):
    test = blueprints.blueprint_create(
        created_by=recruiter,
        fields={"title": "T", "total_questions": 2},
        skills=[SkillSpec(name="B"), SkillSpec(name="A", weight=2.5, difficulty="hard")],
        questions=[question("A", 1), question("B", 2)],
    )

    assert test.created_by == recruiter
    assert [(s.name, s.order, s.weight) for s in test.skills.all()] == [("B", 0, 1.0), ("A", 1, 2.5)]
    assert sorted(q.skill.name for q in test.questions.all()) == ["A", "B"]


def test_create_rolls_everything_back_when_a_question_is_invalid(recruiter):
    with pytest.raises(ValidationError) as caught:
        blueprints.blueprint_create(
            created_by=recruiter,
            fields={"title": "T"},
            skills=[SkillSpec(name="A")],
            questions=[question("A", 1), question("A", 2, correct_option=9)],
        )

    assert set(caught.value.message_dict) == {"questions.1.correct_option"}
    assert not models.Test.objects.exists()
    assert not models.Skill.objects.exists()
    assert not models.Question.objects.exists()


def test_create_validates_the_test_with_full_clean(recruiter):
    with pytest.raises(ValidationError) as caught:
        blueprints.blueprint_create(created_by=recruiter, fields={"title": "T", "feedback_mode": "loud"})

    assert "feedback_mode" in caught.value.message_dict


def test_create_refuses_to_create_a_published_test(recruiter):
    with pytest.raises(ValidationError):
        blueprints.blueprint_create(created_by=recruiter, fields={"title": "T", "status": "published"})


def test_a_skill_weight_must_be_positive(recruiter):
    with pytest.raises(ValidationError) as caught:
        blueprints.blueprint_create(created_by=recruiter, fields={"title": "T"}, skills=[SkillSpec(name="A", weight=0)])

    assert "skills.0" in caught.value.message_dict


def test_update_keeps_skills_that_stay_and_their_questions():
    test = factories.published_test_with_bank(questions=2, skills=2, status=models.Test.Status.DRAFT)
    kept = test.skills.get(name="skill 1")
    models.Question.objects.filter(skill__name="skill 2").delete()

    blueprints.blueprint_update(test=test, fields={}, skills=[SkillSpec(name="new"), SkillSpec(name="skill 1")])

    assert [(s.pk == kept.pk, s.name, s.order) for s in test.skills.all()] == [
        (False, "new", 0),
        (True, "skill 1", 1),
    ]
    assert kept.questions.count() == 1


def test_update_without_skills_leaves_them_alone():
    test = factories.published_test_with_bank(status=models.Test.Status.DRAFT)

    blueprints.blueprint_update(test=test, fields={"title": "New"})

    assert test.skills.count() == 2


def test_update_refuses_to_drop_a_skill_with_questions():
    test = factories.published_test_with_bank(questions=2, skills=2, status=models.Test.Status.DRAFT)

    with pytest.raises(ApplicationError) as caught:
        blueprints.blueprint_update(test=test, fields={}, skills=[SkillSpec(name="skill 1")])

    assert (caught.value.code, caught.value.status) == ("skill_has_questions", 409)
    assert caught.value.extra == {"skills": ["skill 2"]}


@pytest.mark.parametrize("provider", ["offline", "openai"])
def test_publish_needs_a_skill_with_any_provider(recruiter, settings, provider):
    settings.JATAYU_AI_PROVIDER = provider
    test = factories.TestFactory(status=models.Test.Status.DRAFT)

    with pytest.raises(ApplicationError) as caught:
        blueprints.blueprint_publish(test=test, by=recruiter)

    assert caught.value.code == "no_skills"


def test_publish_counts_only_active_questions(recruiter, settings):
    settings.JATAYU_AI_PROVIDER = "offline"
    test = factories.published_test_with_bank(questions=4, skills=2, total_questions=3, status=models.Test.Status.DRAFT)
    models.Question.objects.filter(pk=test.questions.earliest("id").pk).update(active=False)

    assert blueprints.blueprint_publish(test=test, by=recruiter).status == models.Test.Status.PUBLISHED

    test.status = models.Test.Status.DRAFT
    test.save()
    models.Question.objects.filter(pk=test.questions.latest("id").pk).update(active=False)
    with pytest.raises(ApplicationError) as caught:
        blueprints.blueprint_publish(test=test, by=recruiter)
    assert caught.value.code == "bank_too_small"


def test_delete_refuses_a_test_with_attempts():
    attempt = factories.AssessmentFactory()

    with pytest.raises(ApplicationError) as caught:
        blueprints.blueprint_delete(test=attempt.test)

    assert (caught.value.code, caught.value.status) == ("test_has_attempts", 409)


def test_question_create_checks_the_skill_belongs_to_the_test():
    test = factories.published_test_with_bank()
    factories.SkillFactory(name="elsewhere")

    with pytest.raises(ValidationError) as caught:
        blueprints.question_create(test=test, skill="elsewhere", prompt="Q?", options=["a", "b"], correct_option=0)

    assert "skill" in caught.value.message_dict


def test_candidate_add_creates_the_account_once_and_reports_what_it_did():
    test = factories.published_test_with_bank()

    first = candidates.candidate_add(test=test, username="zoe")
    again = candidates.candidate_add(test=test, username="zoe", time_multiplier=2.0)

    assert isinstance(first, CandidateAddResult)
    assert (first.user_created, first.application_created) == (True, True)
    assert first.password
    assert first.candidate.check_password(first.password)
    assert (again.user_created, again.application_created, again.password) == (False, False, None)
    assert again.application.pk == first.application.pk
    assert again.application.time_multiplier == 2.0


def test_candidate_add_rolls_back_the_account_when_the_application_is_invalid(monkeypatch):
    test = factories.published_test_with_bank()

    def refuse(self: models.CandidateApplication, *args: object, **kwargs: object) -> None:
        raise ValidationError({"status": "refused for the test"})

    monkeypatch.setattr(models.CandidateApplication, "full_clean", refuse)
    with pytest.raises(ValidationError):
        candidates.candidate_add(test=test, username="yan")

    assert not models.CandidateApplication.objects.exists()
    assert not User.objects.filter(username="yan").exists()
