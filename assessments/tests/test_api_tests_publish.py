"""Publishing a test with POST /api/tests/<id>/publish/: a ready draft is published, and a test without skills,
with a skill without questions or a bank too small for it (offline), or archived, is refused."""

import pytest

from assessments import models
from assessments.tests import factories
from assessments.tests.api_tests_support import add_bank, detail

pytestmark = pytest.mark.django_db


def publish(client, test: models.Test):
    return client.post(detail(test.pk) + "publish/")


def test_publish_makes_a_ready_draft_published(as_recruiter, own_draft, settings):
    settings.JATAYU_AI_PROVIDER = "offline"
    add_bank(own_draft)

    response = publish(as_recruiter, own_draft)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published"
    own_draft.refresh_from_db()
    assert own_draft.status == models.Test.Status.PUBLISHED


def test_publish_twice_is_harmless(as_recruiter, own_draft, settings):
    settings.JATAYU_AI_PROVIDER = "offline"
    add_bank(own_draft)
    publish(as_recruiter, own_draft)

    assert publish(as_recruiter, own_draft).status_code == 200


def test_publish_without_skills_is_400(as_recruiter, recruiter):
    test = factories.TestFactory(created_by=recruiter, status=models.Test.Status.DRAFT)

    response = publish(as_recruiter, test)

    assert response.status_code == 400
    assert response.json()["code"] == "no_skills"


def test_publish_offline_names_the_skill_without_questions(as_recruiter, own_draft, settings):
    settings.JATAYU_AI_PROVIDER = "offline"
    factories.QuestionFactory.create_batch(3, skill=own_draft.skills.get(name="SQL"), test=own_draft)
    factories.QuestionFactory(skill=own_draft.skills.get(name="Python"), test=own_draft, active=False)

    response = publish(as_recruiter, own_draft)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "skill_without_questions"
    assert "'Python'" in body["detail"]
    assert body["skills"] == ["Python"]
    own_draft.refresh_from_db()
    assert own_draft.status == models.Test.Status.DRAFT


def test_publish_offline_needs_a_bank_as_large_as_the_test(as_recruiter, own_draft, settings):
    settings.JATAYU_AI_PROVIDER = "offline"
    own_draft.total_questions = 3
    own_draft.save()
    add_bank(own_draft)  # 2 questions

    response = publish(as_recruiter, own_draft)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bank_too_small"
    assert (body["active_questions"], body["total_questions"]) == (2, 3)


def test_publish_with_a_generating_provider_needs_no_bank(as_recruiter, own_draft, settings):
    settings.JATAYU_AI_PROVIDER = "openai"

    assert publish(as_recruiter, own_draft).status_code == 200


def test_publish_of_an_archived_test_is_409(as_recruiter, own_draft, settings):
    settings.JATAYU_AI_PROVIDER = "offline"
    add_bank(own_draft)
    own_draft.status = models.Test.Status.ARCHIVED
    own_draft.save()

    response = publish(as_recruiter, own_draft)

    assert response.status_code == 409
    assert response.json()["code"] == "test_archived"
    own_draft.refresh_from_db()
    assert own_draft.status == models.Test.Status.ARCHIVED
