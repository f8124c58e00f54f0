"""Recruiters' test blueprints: list, create (with inline questions), read, patch, delete, publish."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments import models
from assessments.tests import factories
from assessments.tests.paging import whole_list

pytestmark = pytest.mark.django_db

TESTS = "/api/tests/"


def detail(test_id: int) -> str:
    return f"{TESTS}{test_id}/"


def mcq(skill_name: str, n: int = 0, **overrides: object) -> dict[str, object]:
    question: dict[str, object] = {
        "skill": skill_name,
        "prompt": f"Question {n}?",
        "options": [f"right {n}", f"wrong {n}"],
        "correct_option": 0,
        "explanation": "",
        "difficulty": "easy",
    }
    question.update(overrides)
    return question


@pytest.fixture
def as_recruiter(api_client, recruiter):
    api_client.force_authenticate(recruiter)
    return api_client


@pytest.fixture
def own_draft(recruiter) -> models.Test:
    test = factories.TestFactory(created_by=recruiter, status=models.Test.Status.DRAFT, total_questions=2)
    factories.SkillFactory(test=test, name="SQL", order=0)
    factories.SkillFactory(test=test, name="Python", order=1)
    return test


def add_bank(test: models.Test, per_skill: int = 1) -> None:
    for skill in test.skills.all():
        for _ in range(per_skill):
            factories.QuestionFactory(skill=skill, test=test)


# ------------------------------------------------------------------------------------ who may call


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", TESTS),
        ("post", TESTS),
        ("get", detail(1)),
        ("patch", detail(1)),
        ("delete", detail(1)),
        ("post", detail(1) + "publish/"),
    ],
)
def test_test_endpoints_need_a_token(api_client, db, method, path):
    response = getattr(api_client, method)(path, {}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("patch", ""), ("delete", ""), ("post", "publish/")],
)
def test_test_endpoints_refuse_candidates(api_client, candidate, own_draft, method, suffix):
    api_client.force_authenticate(candidate)

    response = getattr(api_client, method)(detail(own_draft.pk) + suffix, {}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert models.Test.objects.filter(pk=own_draft.pk, status=models.Test.Status.DRAFT).exists()


def test_candidates_may_neither_list_nor_create_tests(api_client, candidate):
    api_client.force_authenticate(candidate)

    assert api_client.get(TESTS).status_code == 403
    assert api_client.post(TESTS, {"title": "Mine"}, format="json").status_code == 403
    assert not models.Test.objects.exists()


def test_staff_outside_the_recruiters_group_is_refused(api_client):
    api_client.force_authenticate(factories.UserFactory(is_staff=True))

    assert api_client.get(TESTS).status_code == 403


# ------------------------------------------------------------------------------------ isolation


def test_a_recruiter_lists_only_their_own_tests(as_recruiter, own_draft):
    factories.TestFactory()  # another recruiter's

    response = as_recruiter.get(TESTS)

    assert response.status_code == 200
    assert [row["id"] for row in whole_list(response)] == [own_draft.pk]


def test_a_superuser_lists_every_test(api_client, own_draft):
    other = factories.TestFactory()
    api_client.force_authenticate(factories.UserFactory(is_superuser=True, is_staff=True))

    ids = {row["id"] for row in whole_list(api_client.get(TESTS))}

    assert ids == {own_draft.pk, other.pk}


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "publish/"),
        ("get", "questions/"),
        ("post", "questions/"),
        ("post", "candidates/"),
        ("get", "results/"),
    ],
)
def test_another_recruiters_test_is_not_found(as_recruiter, method, suffix):
    other = factories.TestFactory(status=models.Test.Status.DRAFT)

    response = getattr(as_recruiter, method)(detail(other.pk) + suffix, {"title": "Taken over"}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    other.refresh_from_db()
    assert other.title != "Taken over"
    assert other.status == models.Test.Status.DRAFT


def test_a_missing_test_is_404(as_recruiter):
    response = as_recruiter.get(detail(999_999))

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Test 999999 was not found."}


# ----------------------------------------------------------------------------------------- create


def test_create_stores_the_test_its_ordered_skills_and_the_creator(as_recruiter, recruiter):
    payload = {
        "title": "Backend screen",
        "description": "For the platform team",
        "job_description": "Django, PostgreSQL",
        "total_questions": 5,
        "time_limit_minutes": 20,
        "max_attempts": 2,
        "pass_percentage": 70,
        "feedback_mode": "full",
        "requires_application": False,
        "skills": [
            {"name": "SQL", "weight": 2, "difficulty": "hard"},
            {"name": "Python"},
        ],
        "created_by": 12345,  # read-only: ignored
    }

    response = as_recruiter.post(TESTS, payload, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    test = models.Test.objects.get(pk=body["id"])
    assert test.created_by == recruiter
    assert body["created_by"] == recruiter.pk
    assert body["status"] == "draft"
    assert (test.title, test.total_questions, test.time_limit_minutes, test.max_attempts) == (
        "Backend screen",
        5,
        20,
        2,
    )
    assert test.feedback_mode == "full"
    assert test.requires_application is False
    assert [(s.name, s.weight, s.difficulty, s.order) for s in test.skills.all()] == [
        ("SQL", 2.0, "hard", 0),
        ("Python", 1.0, "medium", 1),
    ]
    assert [s["name"] for s in body["skills"]] == ["SQL", "Python"]
    assert all(isinstance(s["id"], int) for s in body["skills"])
    assert body["questions"] == []


def test_create_with_inline_questions_returns_them_with_ids(as_recruiter):
    payload = {
        "title": "Screen",
        "skills": [{"name": "SQL"}, {"name": "Python"}],
        "questions": [mcq("SQL", 1), mcq("Python", 2, options=["a", "b", "c"], correct_option=2)],
    }

    response = as_recruiter.post(TESTS, payload, format="json")

    assert response.status_code == 201, response.content
    questions = response.json()["questions"]
    assert [q["skill"] for q in questions] == ["SQL", "Python"]
    stored = models.Question.objects.get(pk=questions[1]["id"])
    assert stored.options == ["a", "b", "c"]
    assert stored.correct_option == 2
    assert stored.source == models.Question.Source.BANK
    assert response.json()["active_question_count"] == 2


@pytest.mark.parametrize(
    ("bad_question", "path"),
    [
        ({"options": ["only one"]}, "questions.1.options"),
        ({"options": ["same", "Same"]}, "questions.1.options"),
        ({"options": ["a", "b", "c", "d", "e", "f", "g"]}, "questions.1.options"),
        ({"correct_option": 2}, "questions.1.correct_option"),
        ({"correct_option": -1}, "questions.1.correct_option"),
        ({"skill": "Rust"}, "questions.1.skill"),
        ({"prompt": ""}, "questions.1.prompt"),
        ({"options": ["a", ""]}, "questions.1.options.1"),
    ],
)
def test_an_invalid_inline_question_is_400_naming_its_path_and_creates_nothing(as_recruiter, bad_question, path):
    payload = {
        "title": "Screen",
        "skills": [{"name": "SQL"}],
        "questions": [mcq("SQL", 1), mcq("SQL", 2, **bad_question)],
    }

    response = as_recruiter.post(TESTS, payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert path in body["fields"], body
    assert path in body["detail"]
    assert not models.Test.objects.exists()
    assert not models.Skill.objects.exists()
    assert not models.Question.objects.exists()


def test_every_invalid_inline_question_is_reported(as_recruiter):
    payload = {
        "title": "Screen",
        "skills": [{"name": "SQL"}],
        "questions": [mcq("SQL", 0, options=["x"]), mcq("SQL", 1), mcq("SQL", 2, correct_option=5)],
    }

    fields = as_recruiter.post(TESTS, payload, format="json").json()["fields"]

    assert set(fields) == {"questions.0.options", "questions.2.correct_option"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "T", "total_questions": 0}, "total_questions"),
        ({"title": "T", "time_limit_minutes": 0}, "time_limit_minutes"),
        ({"title": "T", "max_attempts": 0}, "max_attempts"),
        ({"title": "T", "pass_percentage": 101}, "pass_percentage"),
        ({"title": "T", "feedback_mode": "loud"}, "feedback_mode"),
        ({"title": "T", "status": "published"}, "status"),
        ({"title": "T", "skills": [{"name": "SQL"}, {"name": "sql"}]}, "skills.1.name"),
        ({"title": "T", "skills": [{"name": "SQL", "weight": 0}]}, "skills.0.weight"),
        ({"title": "T", "skills": [{"name": "SQL", "difficulty": "brutal"}]}, "skills.0.difficulty"),
        ({"title": "T", "skills": "SQL"}, "skills"),
    ],
)
def test_invalid_test_fields_are_400_naming_the_field(as_recruiter, payload, field):
    response = as_recruiter.post(TESTS, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()
    assert not models.Test.objects.exists()


def test_a_window_that_closes_before_it_opens_is_400(as_recruiter):
    now = timezone.now()
    payload = {"title": "T", "opens_at": now.isoformat(), "closes_at": (now - timedelta(hours=1)).isoformat()}

    response = as_recruiter.post(TESTS, payload, format="json")

    assert response.status_code == 400
    assert "closes_at" in response.json()["fields"]


def test_a_body_that_is_not_json_is_400(as_recruiter):
    response = as_recruiter.generic("POST", TESTS, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


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


# ---------------------------------------------------------------------------------------- publish


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
