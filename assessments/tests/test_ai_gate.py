"""The validation gate with judgement: what words can judge, then an independent solver and a
key-blind reviewer, both through the real langchain-openai client."""

import json

import pytest

from assessments.ai.generation import UNCHECKED, item_generate
from assessments.ai.providers import GenerationRequest, OpenAIQuestionGenerator
from assessments.ai.validation import MIXED_OPTIONS, VAGUE_PROMPT, item_validate
from assessments.tests.fake_openai import GOOD_ITEM, FakeOpenAI, Reply
from benchmarks.gate import gate_measure, seeded_reply
from benchmarks.gate_items import GOOD, ITEMS, JUNK


@pytest.mark.asyncio
async def test_the_gate_rejects_every_seeded_junk_item_and_accepts_every_good_one(fake_openai: FakeOpenAI):
    fake_openai.responder = seeded_reply
    report = await gate_measure()
    assert [i.prompt for i in report.accepted] == [i.prompt for i in GOOD]
    assert report.good_accepted() == 1.0
    assert report.junk_through() == 0.0
    assert set(report.rejected) == {i.prompt for i in JUNK}
    # Both the solver and the reviewer were asked about every item that passed the checks of words.
    asked = [r for r in fake_openai.requests if any(i.prompt in str(r) for i in ITEMS)]
    assert len(asked) >= 2 * len(GOOD)


@pytest.mark.parametrize(
    ("prompt", "options", "problem"),
    [
        ("A skill question", ["Yes", "No", "Maybe", "Later"], VAGUE_PROMPT),
        ("What is the best one of these?", ["Yes", "No", "Maybe", "Later"], VAGUE_PROMPT),
        ("How many bytes does a PostgreSQL bigint take?", ["8", "four", "2", "16"], MIXED_OPTIONS),
    ],
)
def test_words_alone_reject_vague_prompts_and_options_of_mixed_kinds(prompt, options, problem):
    verdict = item_validate(prompt=prompt, options=options, correct_option=0, known_prompts=[], explanation="x")
    assert verdict.problems == [problem]


def test_numbers_with_units_are_one_kind_of_option():
    options = ["4 KB", "8 KB", "16 KB", "1.5 MB"]
    verdict = item_validate(
        prompt="How large is a PostgreSQL page by default?", options=options, correct_option=1, known_prompts=[]
    )
    assert verdict.ok


def request() -> GenerationRequest:
    return GenerationRequest(job_description="Backend engineer", skill="HTTP", difficulty="medium", avoid_prompts=[])


@pytest.mark.asyncio
async def test_a_reviewer_that_cannot_answer_rejects_the_item_rather_than_serve_it_unchecked(
    fake_openai: FakeOpenAI, settings
):
    settings.JATAYU_AI_VERIFY = True
    settings.JATAYU_AI_GENERATION_ATTEMPTS = 1
    fake_openai.script = [Reply(json_content=GOOD_ITEM), Reply(json_content={"answer_index": 1}), Reply(status=500)]
    outcome = await item_generate(generator=OpenAIQuestionGenerator(), request=request(), known_prompts=[])
    assert outcome.accepted is None
    assert outcome.rejections == [UNCHECKED]


@pytest.mark.asyncio
async def test_the_reviewer_is_never_told_the_key(fake_openai: FakeOpenAI, settings):
    settings.JATAYU_AI_VERIFY = True
    verdict = {"about_skill": True, "options_answer_it": True, "one_right": True, "explanation_supports": 1}
    fake_openai.script = [
        Reply(json_content={**GOOD_ITEM, "correct_option": 3}),  # a key the explanation does not support
        Reply(json_content={"answer_index": 1}),
        Reply(json_content=verdict),
    ]
    settings.JATAYU_AI_GENERATION_ATTEMPTS = 1
    outcome = await item_generate(generator=OpenAIQuestionGenerator(), request=request(), known_prompts=[])
    assert outcome.rejections == [
        "independent solver chose another option",
        "reviewer: the explanation supports another option",
    ]
    solver, reviewer = fake_openai.requests[1:]
    assert "correct_option" in json.dumps(fake_openai.requests[0])  # the generator's schema has the key
    assert "correct_option" not in json.dumps(solver)
    assert "correct_option" not in json.dumps(reviewer)
    assert str(GOOD_ITEM["explanation"]) in json.dumps(reviewer)


def test_the_judgement_is_on_by_default_whenever_a_model_is_configured():
    import subprocess
    import sys

    code = "from django.conf import settings; print(settings.JATAYU_AI_VERIFY)"
    env = {"DJANGO_SETTINGS_MODULE": "jatayu.settings", "SECRET_KEY": "x", "CHANNEL_LAYER": "memory", "PATH": ""}
    runs = {
        key: subprocess.run(  # noqa: S603 - our own interpreter, a fixed command line
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            env={**env, **({"OPENAI_API_KEY": key} if key else {})},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for key in ("", "sk-test")
    }
    assert runs == {"": "False", "sk-test": "True"}


@pytest.mark.asyncio
async def test_an_accepted_item_keeps_the_difficulty_it_was_asked_for_and_the_models_label_is_recorded(
    fake_openai: FakeOpenAI,
):
    fake_openai.script = [Reply(json_content={**GOOD_ITEM, "difficulty": "easy"})]
    outcome = await item_generate(generator=OpenAIQuestionGenerator(), request=request(), known_prompts=[])
    assert outcome.accepted is not None
    assert outcome.accepted.draft.difficulty == "medium"
    assert outcome.validation_record()["model_labelled_difficulty"] == "easy"
