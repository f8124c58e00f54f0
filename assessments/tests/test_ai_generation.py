"""Question generation with the real langchain-openai client against a local fake server."""

import pytest

from assessments.ai.generation import item_generate
from assessments.ai.providers import GenerationRequest, OpenAIQuestionGenerator
from assessments.tests.fake_openai import GOOD_ITEM, FakeOpenAI, Reply

pytestmark = pytest.mark.asyncio

GOOD = GOOD_ITEM
FAIR_REVIEW = {"about_skill": True, "options_answer_it": True, "one_right": True, "explanation_supports": 1}


def request(avoid: list[str] | None = None) -> GenerationRequest:
    return GenerationRequest(
        job_description="Backend engineer", skill="HTTP", difficulty="medium", avoid_prompts=avoid or []
    )


async def test_structured_output_is_parsed_into_an_item(fake_openai: FakeOpenAI):
    fake_openai.script = [Reply(json_content=GOOD)]
    outcome = await item_generate(generator=OpenAIQuestionGenerator(), request=request(), known_prompts=[])
    assert outcome.accepted is not None
    assert outcome.accepted.draft.options == GOOD["options"]
    assert outcome.accepted.draft.correct_option == 1
    assert outcome.accepted.provider == "openai"
    assert len(outcome.accepted.prompt_hash) == 64
    assert outcome.usage.input_tokens == 120
    sent = fake_openai.requests[0]
    prompt_text = " ".join(m["content"] for m in sent["messages"])
    assert "Backend engineer" in prompt_text
    assert "HTTP" in prompt_text
    assert sent["response_format"]["type"] == "json_schema"


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ({**GOOD, "options": ["PUT", "put ", "POST", "GET"]}, "duplicate options"),
        ({**GOOD, "correct_option": 4}, "out of range"),
        ({**GOOD, "options": ["only one"], "correct_option": 0}, "not 2 to 6 options"),
        ({**GOOD, "prompt": "Which HTTP method is idempotent by definition ?"}, "near-duplicate"),
    ],
)
async def test_invalid_items_are_rejected_and_retried(fake_openai: FakeOpenAI, bad, problem):
    fake_openai.script = [Reply(json_content=bad), Reply(json_content={**GOOD, "prompt": "What does 418 mean?"})]
    known = [str(GOOD["prompt"])]
    outcome = await item_generate(generator=OpenAIQuestionGenerator(), request=request(known), known_prompts=known)
    assert problem in outcome.rejections[0]
    assert outcome.accepted is not None
    assert outcome.accepted.draft.prompt == "What does 418 mean?"


async def test_three_bad_replies_give_up_so_the_bank_is_used(fake_openai: FakeOpenAI):
    fake_openai.script = [Reply(json_content={**GOOD, "correct_option": 9})] * 3
    outcome = await item_generate(generator=OpenAIQuestionGenerator(), request=request(), known_prompts=[])
    assert outcome.accepted is None
    assert len(outcome.rejections) == 3


async def test_server_errors_and_timeouts_fall_back_without_raising(fake_openai: FakeOpenAI, settings):
    settings.JATAYU_AI_TIMEOUT_SECONDS = 0.3
    fake_openai.script = [Reply(status=500), Reply(json_content=GOOD, delay=1.0), Reply(text="not json at all")]
    outcome = await item_generate(generator=OpenAIQuestionGenerator(), request=request(), known_prompts=[])
    assert outcome.accepted is None
    assert [r.startswith("provider error") for r in outcome.rejections] == [True, True, True]


async def test_independent_solver_must_agree_when_verification_is_on(fake_openai: FakeOpenAI, settings):
    settings.JATAYU_AI_VERIFY = True
    fake_openai.script = [
        Reply(json_content=GOOD),
        Reply(json_content={"answer_index": 0}),  # the solver disagrees
        Reply(json_content=FAIR_REVIEW),
        Reply(json_content=GOOD),
        Reply(json_content={"answer_index": 1}),  # agrees
        Reply(json_content=FAIR_REVIEW),
    ]
    outcome = await item_generate(generator=OpenAIQuestionGenerator(), request=request(), known_prompts=[])
    assert outcome.rejections == ["independent solver chose another option"]
    assert outcome.accepted is not None
