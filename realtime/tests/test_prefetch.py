"""With an AI generator, the next question is prepared while the candidate reads the current one."""

import asyncio
import itertools
import json

import pytest

from assessments.models import Assessment, Question
from assessments.tests.fake_openai import FakeOpenAI, Reply, method_of
from testsupport.sockets import db, start_attempt

pytestmark = pytest.mark.django_db(transaction=True)
counter = itertools.count()


def generated_item(request: dict) -> Reply:
    if request.get("stream"):
        return Reply(text="no chat here")
    wanted = next(w for w in ("easy", "medium", "hard") if f"Difficulty wanted: {w}" in json.dumps(request))
    n = next(counter)
    return Reply(
        json_content={
            "prompt": f"Generated question number {n} about caching layer {n * 7919}?",
            "options": [f"first {n}", f"second {n}", f"third {n}", f"fourth {n}"],
            "correct_option": n % 4,
            "explanation": "Generated for the test.",
            "difficulty": wanted,
        }
    )


async def wait_for(predicate, within: float = 5.0):
    """Poll the database (another task writes it; there is no event to await) until `predicate` holds."""
    async with asyncio.timeout(within):
        while not (result := await db(predicate)()):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return result


async def test_next_question_comes_from_the_items_prepared_in_the_background(ws_clients, fake_openai: FakeOpenAI):
    fake_openai.responder = generated_item
    s = await start_attempt(ws_clients, questions=6, total=3)
    client, user, question = s.client, s.user, s.question

    prepared = await wait_for(
        lambda: Assessment.objects.get(candidate=user).ai_state.get("prepared"),
    )
    assert 1 <= len(prepared) <= 2  # one item per difficulty the answer could lead to
    generated = await db(lambda: list(Question.objects.filter(pk__in=prepared)))()
    assert all(q.source == "generated" and q.provider == "openai" and len(q.prompt_hash) == 64 for q in generated)

    await client.send("submit_answer", {"question_id": question["data"]["question_id"], "selected_option": 0})
    _, _, following = await client.expect("answer_feedback", "progress_update", "question")
    assert following["data"]["question_id"] in prepared
    assessment = await db(Assessment.objects.get)(candidate=user)
    assert assessment.ai_state["usage"]["calls"] >= 1


async def test_a_failing_generator_leaves_the_bank_to_serve(ws_clients, fake_openai: FakeOpenAI):
    fake_openai.responder = lambda request: Reply(status=500)
    s = await start_attempt(ws_clients, questions=6, total=2)
    client, question = s.client, s.question
    await wait_for(lambda: len(fake_openai.requests) >= 3)
    await client.send("submit_answer", {"question_id": question["data"]["question_id"], "selected_option": 0})
    _, _, following = await client.expect("answer_feedback", "progress_update", "question")
    source = await db(lambda: Question.objects.get(pk=following["data"]["question_id"]).source)()
    assert source == "bank"


async def test_the_gate_judges_prepared_items_and_counts_its_rejections_on_the_attempt(
    ws_clients, fake_openai: FakeOpenAI, settings
):
    settings.JATAYU_AI_VERIFY = True
    items: dict[str, int] = {}
    solved: list[str] = []

    def model(request: dict) -> Reply:
        from assessments.ai.providers import REVIEW_SYSTEM

        text = json.dumps(request)
        if "Answer the multiple-choice question." in text:  # the solver: wrong the first time only
            key = next(k for prompt, k in items.items() if prompt in text)
            solved.append(text)
            return Reply(json_content={"answer_index": key if len(solved) > 1 else (key + 1) % 4})
        if REVIEW_SYSTEM in text:
            key = next(k for prompt, k in items.items() if prompt in text)
            verdict = {"about_skill": True, "options_answer_it": True, "one_right": True}
            return Reply(json_content={**verdict, "explanation_supports": key})
        reply = generated_item(request)
        assert reply.json_content is not None
        items[reply.json_content["prompt"]] = reply.json_content["correct_option"]
        return reply

    fake_openai.responder = model
    s = await start_attempt(ws_clients, questions=6, total=3)
    state = await wait_for(lambda: Assessment.objects.get(candidate=s.user).ai_state.get("prepared") is not None)
    assert state
    ai_state = await db(lambda: Assessment.objects.get(candidate=s.user).ai_state)()
    assert ai_state["rejections"] == {"independent solver chose another option": 1}
    assert len(items) == len(ai_state["prepared"]) + 1
    assert ai_state["usage"]["calls"] == 3 * len(items)  # each item: generated, solved and reviewed
    stored = await db(lambda: list(Question.objects.filter(pk__in=ai_state["prepared"])))()
    assert all("reviewer: explanation supports the key" in q.validation["passed"] for q in stored)


@pytest.mark.parametrize("method", ["json_schema", "json_object", "tools", "prompt"])
async def test_items_are_generated_and_served_from_a_server_with_only_one_structured_output_method(
    ws_clients, fake_openai: FakeOpenAI, method: str
):
    from assessments.ai import structured

    structured.forget_methods()
    fake_openai.methods = {method}
    fake_openai.responder = generated_item
    s = await start_attempt(ws_clients, questions=6, total=3)
    prepared = await wait_for(lambda: Assessment.objects.get(candidate=s.user).ai_state.get("prepared"))
    await s.client.send("submit_answer", {"question_id": s.question["data"]["question_id"], "selected_option": 0})
    _, _, following = await s.client.expect("answer_feedback", "progress_update", "question")
    assert following["data"]["question_id"] in prepared
    served = await db(Question.objects.get)(pk=following["data"]["question_id"])
    assert served.source == Question.Source.GENERATED
    answered = [r for r in fake_openai.requests if method_of(r) == method]
    assert answered  # the items came through the one method the server has
