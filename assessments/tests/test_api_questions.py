"""A test's question bank: recruiters list it (with answers) and add to it."""

import pytest

from assessments import models
from assessments.tests import factories
from assessments.tests.paging import whole_list

pytestmark = pytest.mark.django_db


def questions_url(test: models.Test) -> str:
    return f"/api/tests/{test.pk}/questions/"


@pytest.fixture
def own_test(recruiter) -> models.Test:
    return factories.published_test_with_bank(questions=2, skills=2, created_by=recruiter)


@pytest.fixture
def as_recruiter(api_client, recruiter):
    api_client.force_authenticate(recruiter)
    return api_client


def test_recruiters_see_the_bank_with_correct_options(as_recruiter, own_test):
    inactive = factories.QuestionFactory(skill=own_test.skills.first(), test=own_test, active=False, correct_option=2)

    response = as_recruiter.get(questions_url(own_test))

    assert response.status_code == 200
    rows = whole_list(response)
    assert len(rows) == 3
    by_id = {row["id"]: row for row in rows}
    assert by_id[inactive.pk]["correct_option"] == 2
    assert by_id[inactive.pk]["active"] is False
    assert by_id[inactive.pk]["skill"] == "skill 1"
    assert set(rows[0]) >= {"id", "skill", "prompt", "options", "correct_option", "explanation", "difficulty"}


def test_post_adds_a_bank_question_under_a_skill_named_by_its_name(as_recruiter, own_test):
    payload = {
        "skill": "skill 2",
        "prompt": "What does SELECT 1 return?",
        "options": ["one row", "nothing", "an error"],
        "correct_option": 0,
        "explanation": "A single row with the value 1.",
        "difficulty": "easy",
    }

    response = as_recruiter.post(questions_url(own_test), payload, format="json")

    assert response.status_code == 201, response.content
    question = models.Question.objects.get(pk=response.json()["id"])
    assert question.skill.name == "skill 2"
    assert question.test == own_test
    assert (question.options, question.correct_option, question.difficulty) == (payload["options"], 0, "easy")


def test_post_adds_a_multi_select_question_with_every_key(as_recruiter, own_test):
    payload = {
        "skill": "skill 1",
        "prompt": "Which HTTP methods are read-only?",
        "options": ["GET", "POST", "HEAD", "DELETE"],
        "kind": "multiple",
        "correct_options": [2, 0],
    }

    response = as_recruiter.post(questions_url(own_test), payload, format="json")

    assert response.status_code == 201, response.content
    question = models.Question.objects.get(pk=response.json()["id"])
    assert (question.kind, question.correct_options, question.correct_option) == ("multiple", [0, 2], 0)
    assert response.json()["correct_options"] == [0, 2]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "multiple", "correct_options": []}, "correct_options"),
        ({"kind": "multiple", "correct_options": [0]}, "correct_options"),
        ({"correct_option": None}, "correct_option"),
        ({"options": ["lonely"]}, "options"),
        ({"options": ["a", "A "]}, "options"),
        ({"correct_option": 3}, "correct_option"),
        ({"skill": "skill 9"}, "skill"),
        ({"prompt": ""}, "prompt"),
        ({"options": "a,b"}, "options"),
        ({"difficulty": "trivial"}, "difficulty"),
    ],
)
def test_an_invalid_question_is_400_naming_the_field(as_recruiter, own_test, change, field):
    payload = {"skill": "skill 1", "prompt": "Q?", "options": ["a", "b"], "correct_option": 1, **change}

    response = as_recruiter.post(questions_url(own_test), payload, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["fields"], response.json()
    assert own_test.questions.count() == 2


def test_the_bank_needs_a_token(api_client, own_test):
    assert api_client.get(questions_url(own_test)).status_code == 401
    assert api_client.post(questions_url(own_test), {}, format="json").status_code == 401


def test_candidates_may_not_see_the_bank(api_client, own_test):
    candidate = factories.enrolled_candidate(test=own_test)
    api_client.force_authenticate(candidate)

    response = api_client.get(questions_url(own_test))

    assert response.status_code == 403
    assert "correct_option" not in response.content.decode()


def test_candidates_may_not_add_questions(api_client, candidate, own_test):
    api_client.force_authenticate(candidate)
    payload = {"skill": "skill 1", "prompt": "Q?", "options": ["a", "b"], "correct_option": 1}

    assert api_client.post(questions_url(own_test), payload, format="json").status_code == 403
    assert own_test.questions.count() == 2
