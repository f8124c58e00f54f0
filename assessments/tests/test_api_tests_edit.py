"""Reading, patching and deleting a test at /api/tests/<id>/: patches change only what they name, keep skills
that have questions and the publish rules, and an attempted test is not deleted."""

import pytest

from assessments import models
from assessments.tests import factories
from assessments.tests.api_tests_support import add_bank, detail, mcq

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------------- read, patch


def test_detail_shows_the_test_with_skill_question_counts(as_recruiter, own_draft):
    add_bank(own_draft, per_skill=2)
    models.Question.objects.filter(skill__name="SQL").update(active=False)

    body = as_recruiter.get(detail(own_draft.pk)).json()

    assert body["id"] == own_draft.pk
    assert body["window"] == "open"
    assert [(s["name"], s["active_question_count"]) for s in body["skills"]] == [("SQL", 0), ("Python", 2)]
    assert body["active_question_count"] == 2
    assert body["has_attempts"] is False


def test_patch_changes_only_the_given_fields(as_recruiter, own_draft):
    response = as_recruiter.patch(detail(own_draft.pk), {"title": "Renamed", "max_attempts": 3}, format="json")

    assert response.status_code == 200, response.content
    own_draft.refresh_from_db()
    assert (own_draft.title, own_draft.max_attempts, own_draft.total_questions) == ("Renamed", 3, 2)
    assert [s["name"] for s in response.json()["skills"]] == ["SQL", "Python"]


def test_patch_with_skills_replaces_and_reorders_the_list(as_recruiter, own_draft):
    sql = own_draft.skills.get(name="SQL")
    factories.QuestionFactory(skill=sql, test=own_draft)
    payload = {"skills": [{"name": "Go", "weight": 3}, {"name": "SQL", "difficulty": "hard"}]}

    response = as_recruiter.patch(detail(own_draft.pk), payload, format="json")

    assert response.status_code == 200, response.content
    skills = list(own_draft.skills.all())
    assert [(s.name, s.order) for s in skills] == [("Go", 0), ("SQL", 1)]
    assert skills[1].pk == sql.pk  # kept, with its questions
    assert skills[1].difficulty == "hard"
    assert sql.questions.count() == 1


def test_patch_removing_a_skill_that_has_questions_is_409_and_changes_nothing(as_recruiter, own_draft):
    factories.QuestionFactory(skill=own_draft.skills.get(name="SQL"), test=own_draft)

    response = as_recruiter.patch(detail(own_draft.pk), {"title": "New", "skills": [{"name": "Python"}]}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "skill_has_questions"
    assert "SQL" in body["detail"]
    assert body["skills"] == ["SQL"]
    own_draft.refresh_from_db()
    assert own_draft.title != "New"
    assert sorted(own_draft.skills.values_list("name", flat=True)) == ["Python", "SQL"]


def test_patch_may_archive_and_restore_to_draft(as_recruiter, own_draft):
    archived = as_recruiter.patch(detail(own_draft.pk), {"status": "archived"}, format="json")
    draft = as_recruiter.patch(detail(own_draft.pk), {"status": "draft"}, format="json")

    assert archived.json()["status"] == "archived"
    assert draft.json()["status"] == "draft"


def test_patch_cannot_publish(as_recruiter, own_draft):
    add_bank(own_draft)

    response = as_recruiter.patch(detail(own_draft.pk), {"status": "published"}, format="json")

    assert response.status_code == 400
    assert "status" in response.json()["fields"]
    own_draft.refresh_from_db()
    assert own_draft.status == models.Test.Status.DRAFT


def test_patch_refuses_inline_questions(as_recruiter, own_draft):
    response = as_recruiter.patch(detail(own_draft.pk), {"questions": [mcq("SQL")]}, format="json")

    assert response.status_code == 400
    assert "questions" in response.json()["fields"]
    assert not models.Question.objects.exists()


def test_patch_with_an_invalid_value_is_400(as_recruiter, own_draft):
    response = as_recruiter.patch(detail(own_draft.pk), {"time_limit_minutes": "soon"}, format="json")

    assert response.status_code == 400
    assert "time_limit_minutes" in response.json()["fields"]


def test_a_published_test_must_keep_passing_the_publish_rules(as_recruiter, settings, recruiter):
    settings.JATAYU_AI_PROVIDER = "offline"
    test = factories.published_test_with_bank(questions=4, skills=2, created_by=recruiter, total_questions=4)

    response = as_recruiter.patch(detail(test.pk), {"total_questions": 10}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "bank_too_small"
    test.refresh_from_db()
    assert test.total_questions == 4


# ----------------------------------------------------------------------------------------- delete


def test_delete_removes_an_unattempted_test(as_recruiter, own_draft):
    add_bank(own_draft)
    factories.ApplicationFactory(test=own_draft)

    response = as_recruiter.delete(detail(own_draft.pk))

    assert response.status_code == 204
    assert not models.Test.objects.filter(pk=own_draft.pk).exists()
    assert not models.Question.objects.exists()


def test_delete_of_an_attempted_test_is_409(as_recruiter, recruiter):
    test = factories.published_test_with_bank(created_by=recruiter)
    factories.AssessmentFactory(test=test, status=models.Assessment.Status.COMPLETED)

    response = as_recruiter.delete(detail(test.pk))

    assert response.status_code == 409
    assert response.json()["code"] == "test_has_attempts"
    assert models.Test.objects.filter(pk=test.pk).exists()
