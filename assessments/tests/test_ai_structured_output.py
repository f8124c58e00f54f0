"""Generation works on servers that support only one way of holding a reply to JSON, through the real
langchain-openai client: each test server below accepts one method and refuses the others, as real
servers do (llama-cpp-python's answers `json_schema` with a 500)."""

import json

import pytest

from assessments.ai import structured
from assessments.ai.providers import GenerationRequest, ItemDraft, OpenAIQuestionGenerator
from assessments.ai.structured import METHODS, Unparseable, json_parsed
from assessments.tests.fake_openai import GOOD_ITEM, FakeOpenAI, Reply, method_of

GOOD = GOOD_ITEM
REQUEST = GenerationRequest(job_description="Backend engineer", skill="HTTP", difficulty="medium", avoid_prompts=[])


@pytest.fixture(autouse=True)
def no_method_remembered() -> None:
    structured.forget_methods()


def methods_sent(fake: FakeOpenAI) -> list[str]:
    sent = [method_of(request) for request in fake.requests]
    fake.requests.clear()
    return sent


@pytest.mark.parametrize("method", METHODS)
async def test_auto_finds_the_one_method_a_server_supports_and_keeps_to_it(fake_openai: FakeOpenAI, method) -> None:
    fake_openai.methods = {method}
    fake_openai.responder = lambda request: Reply(json_content=GOOD)

    first = await OpenAIQuestionGenerator().generate(REQUEST)
    tried_first = methods_sent(fake_openai)
    second = await OpenAIQuestionGenerator().generate(REQUEST)

    assert first.draft == second.draft == ItemDraft.model_validate(GOOD)
    assert tried_first == list(METHODS[: METHODS.index(method) + 1])
    assert methods_sent(fake_openai) == [method]


async def test_a_server_error_is_given_a_second_chance_before_its_method_is_left(fake_openai: FakeOpenAI) -> None:
    """A 500 may be a bad moment rather than a refusal: the method is left only after two."""
    fake_openai.methods, fake_openai.refusal_status = {"json_object"}, 500
    fake_openai.responder = lambda request: Reply(json_content=GOOD)

    sent = []
    for _ in range(3):
        await OpenAIQuestionGenerator().generate(REQUEST)
        sent.append(methods_sent(fake_openai))

    assert sent == [["json_schema", "json_object"], ["json_schema", "json_object"], ["json_object"]]


async def test_json_object_sends_the_schema_for_servers_that_enforce_it(fake_openai: FakeOpenAI, settings) -> None:
    settings.JATAYU_AI_STRUCTURED_OUTPUT = "json_object"
    fake_openai.responder = lambda request: Reply(json_content=GOOD)

    await OpenAIQuestionGenerator().generate(REQUEST)

    (sent,) = fake_openai.requests
    assert sent["response_format"] == {"type": "json_object", "schema": ItemDraft.model_json_schema()}


async def test_a_named_method_is_the_only_one_tried(fake_openai: FakeOpenAI, settings) -> None:
    settings.JATAYU_AI_STRUCTURED_OUTPUT = "tools"
    fake_openai.methods = {"prompt"}

    with pytest.raises(structured.REFUSALS):
        await OpenAIQuestionGenerator().generate(REQUEST)

    assert methods_sent(fake_openai) == ["tools"]


async def test_the_prompt_method_reads_the_json_out_of_chatter(fake_openai: FakeOpenAI, settings) -> None:
    settings.JATAYU_AI_STRUCTURED_OUTPUT = "prompt"
    chatter = f"Sure! Here is one:\n```json\n{json.dumps(GOOD)}\n```\nHope {{that}} helps."
    fake_openai.script = [Reply(text=chatter)]

    generated = await OpenAIQuestionGenerator().generate(REQUEST)

    assert generated.draft == ItemDraft.model_validate(GOOD)
    assert "JSON schema" in fake_openai.requests[0]["messages"][-1]["content"]


async def test_the_solver_works_on_a_server_that_only_calls_tools(fake_openai: FakeOpenAI) -> None:
    fake_openai.methods = {"tools"}
    fake_openai.responder = lambda request: Reply(json_content={"answer_index": 2})

    assert await OpenAIQuestionGenerator().solve(prompt="Which is a prime?", options=["4", "6", "7", "9"]) == 2


@pytest.mark.parametrize(
    "text", ["no json here", '{"prompt": "half', '{"prompt": "only a prompt"}', "[1, 2, 3]"], ids=str
)
def test_a_reply_without_a_fitting_json_object_is_unparseable(text: str) -> None:
    with pytest.raises(Unparseable):
        json_parsed(text, ItemDraft)
