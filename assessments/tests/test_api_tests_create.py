"""Creating a test with POST /api/tests/: its ordered skills, inline questions and creator are stored, and
every invalid field is a 400 that names it and creates nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments import models
from assessments.tests.api_tests_support import TESTS, mcq

pytestmark = pytest.mark.django_db


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
