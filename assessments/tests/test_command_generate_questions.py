import pytest
from django.core.management import CommandError, call_command

from assessments.models import Question
from assessments.tests.factories import SkillFactory, TestFactory
from assessments.tests.fake_openai import FakeOpenAI, Reply

pytestmark = pytest.mark.django_db
PROMPTS = [
    "Which SQL clause filters groups after aggregation?",
    "What does an HTTP 304 response tell the client?",
    "Which index type suits range queries on timestamps in PostgreSQL?",
    "Why would a REST API return 409 Conflict?",
    "What isolation level prevents non-repeatable reads but allows phantoms?",
]


def item(n: int, **overrides) -> Reply:
    return Reply(
        json_content={
            "prompt": PROMPTS[n % len(PROMPTS)],
            "options": [f"alpha {n}", f"beta {n}", f"gamma {n}", f"delta {n}"],
            "correct_option": 2,
            "explanation": "Because.",
            "difficulty": "medium",
            **overrides,
        }
    )


def test_generates_validated_items_with_provenance_and_a_summary(fake_openai: FakeOpenAI, capsys):
    test = TestFactory(status="draft")
    SkillFactory(test=test, name="SQL", weight=2)
    SkillFactory(test=test, name="HTTP", weight=1)
    fake_openai.script = [item(0), item(1, options=["same", "same", "x", "y"]), item(2), item(3)]
    call_command("generate_questions", str(test.pk), "--count", "3")
    out = capsys.readouterr().out
    stored = Question.objects.filter(test=test)
    assert stored.count() == 3
    assert {q.source for q in stored} == {"generated"}
    assert all(q.provider == "openai" and q.model_name and q.prompt_hash for q in stored)
    assert "options distinct and of one kind" in stored[0].validation["passed"]
    rejected = [q.validation["rejected_before"] for q in stored.order_by("id")]
    assert rejected == [[], ["duplicate options"], []]
    assert sorted(q.skill.name for q in stored) == ["HTTP", "SQL", "SQL"]
    assert "accepted 3 of 3" in out
    assert "rejected 1x: duplicate options" in out


def test_unknown_test_and_missing_provider_are_clear_errors(settings):
    settings.JATAYU_AI_PROVIDER = "offline"
    with pytest.raises(CommandError, match="does not exist"):
        call_command("generate_questions", "999999")
    test = TestFactory()
    SkillFactory(test=test)
    with pytest.raises(CommandError, match="No AI provider"):
        call_command("generate_questions", str(test.pk))
    with pytest.raises(CommandError, match="at least 1"):
        call_command("generate_questions", str(test.pk), "--count", "0")


def test_nothing_accepted_is_a_failure(fake_openai: FakeOpenAI):
    test = TestFactory()
    SkillFactory(test=test)
    fake_openai.responder = lambda request: Reply(status=500)
    with pytest.raises(CommandError, match="No item was accepted"):
        call_command("generate_questions", str(test.pk), "--count", "1")
