"""Paths and payloads shared by the tests of /api/tests/ (recruiters' test blueprints)."""

from assessments import models
from assessments.tests import factories

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


def add_bank(test: models.Test, per_skill: int = 1) -> None:
    for skill in test.skills.all():
        for _ in range(per_skill):
            factories.QuestionFactory(skill=skill, test=test)
