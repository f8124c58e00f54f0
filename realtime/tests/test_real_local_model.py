"""A whole attempt against a real model: llama-cpp-python's OpenAI-compatible server with SmolLM2-135M,
through the real langchain-openai client. These assert behaviour, not the quality of a 135M model:
structured output finds the method the server supports, what passes the gate is served and what does
not is counted, the tutor answers, its judge runs, and no reply names the key."""

import asyncio
import io
import logging

import pytest
from django.core.management import CommandError, call_command
from langchain_openai.chat_models import _client_utils

from assessments.ai import structured
from assessments.ai.guard import REFUSAL, AnswerGuard
from assessments.ai.providers import OpenAIQuestionGenerator, OpenAITutor, Verdict
from assessments.models import Assessment, Question, Skill, Test
from assessments.tests.factories import enrolled_candidate, published_test_with_bank
from testsupport import sockets
from testsupport.local_model import LocalModel
from testsupport.sockets import Client, Started, attempt_started, db, start_attempt

pytestmark = [pytest.mark.realmodel, pytest.mark.django_db(transaction=True)]

JOB = "Backend engineer: SQL queries, PostgreSQL indexes and transactions."
SKILLS = ["SQL", "PostgreSQL indexes"]
GENERATE_ROUNDS = 10  # of JATAYU_AI_GENERATION_ATTEMPTS (3) tries each


@pytest.fixture
def on_local_model(local_model: LocalModel, settings, monkeypatch) -> LocalModel:
    settings.JATAYU_AI_PROVIDER = "openai"
    settings.OPENAI_API_KEY = "local-model"
    settings.OPENAI_BASE_URL = local_model.url
    settings.JATAYU_AI_QUESTION_MODEL = settings.JATAYU_AI_TUTOR_MODEL = local_model.name
    settings.JATAYU_AI_JUDGE_MODEL = local_model.name
    settings.JATAYU_AI_TIMEOUT_SECONDS = 120.0
    settings.JATAYU_AI_MAX_RETRIES = 0
    settings.JATAYU_AI_TUTOR_MAX_TOKENS = 60
    settings.JATAYU_AI_STRUCTURED_OUTPUT = "auto"
    settings.JATAYU_AI_VERIFY = True
    structured.forget_methods()
    # langchain-openai keeps one HTTP client per base URL for the process, bound to the event loop of
    # its first request; each test has a loop of its own. (A worker has one loop: nothing to clear.)
    _client_utils._cached_async_httpx_client.cache_clear()
    monkeypatch.setattr(sockets, "TIMEOUT", 240)  # a CPU model takes seconds per call
    return local_model


async def wait_for(predicate, within: float = 240.0):
    async with asyncio.timeout(within):
        while not (result := await db(predicate)()):  # noqa: ASYNC110 - another task writes the database
            await asyncio.sleep(0.5)
    return result


async def test_structured_output_falls_back_to_what_llama_cpp_python_supports(on_local_model, caplog):
    caplog.set_level(logging.INFO, logger="assessments.ai.structured")
    options = ["4", "6", "7", "9"]
    answer = await OpenAIQuestionGenerator().solve(prompt="Which of these numbers is prime?", options=options)
    assert 0 <= answer < len(options)
    assert "refused json_schema" in caplog.text  # llama-cpp-python has no json_schema response_format
    assert f"structured output for {on_local_model.name} at {on_local_model.url}: json_object" in caplog.text


async def test_the_judge_reads_a_draft_through_the_real_client(on_local_model):
    verdict = await OpenAITutor().judge(
        prompt="Which SQL clause filters groups after aggregation?",
        options=["WHERE", "HAVING", "ORDER BY", "LIMIT"],
        reply="The answer is HAVING.",
    )
    assert isinstance(verdict, Verdict)
    assert verdict.picks is None or 0 <= verdict.picks < 4
    assert all(0 <= i < 4 for i in verdict.excludes)


async def test_a_whole_attempt_with_generation_the_gate_prefetch_and_the_tutor(ws_clients, on_local_model, monkeypatch):
    judged: list[str] = []
    real_judge = OpenAITutor.judge

    async def spied_judge(self, **kwargs):
        judged.append(kwargs["reply"])
        return await real_judge(self, **kwargs)

    monkeypatch.setattr(OpenAITutor, "judge", spied_judge)
    s = await real_skills(await start_attempt(ws_clients, questions=6, total=2, job_description=JOB))
    client, question = s.client, s.question

    # The tutor, on the question on screen: its reply is judged before any of it is sent.
    delivered, final = await chat(client, "What does this question mean? Explain the idea behind it.")
    served = await db(Question.objects.get)(pk=question["data"]["question_id"])
    guard = AnswerGuard(options=served.options, correct_index=served.correct_option, question_prompt=served.prompt)
    assert final == REFUSAL or (delivered == final and not guard.refuses(final))
    assert final == REFUSAL or judged == [final]  # nothing the judge did not clear was sent

    # The next question is prepared by the real model, through the gate, while the candidate reads.
    await wait_for(lambda: Assessment.objects.get(candidate=s.user).ai_state.get("prepared") is not None)
    sources = []
    while True:
        await client.send("submit_answer", {"question_id": question["data"]["question_id"], "selected_option": 0})
        feedback, progress, following = [await client.recv() for _ in range(3)]
        assert (feedback["type"], progress["type"]) == ("answer_feedback", "progress_update")
        if following["type"] == "assessment_completed":
            break
        assert following["type"] == "question", following
        question = following
        sources.append(await db(lambda q=question: Question.objects.get(pk=q["data"]["question_id"]))())
    assessment = await db(Assessment.objects.get)(candidate=s.user)
    assert assessment.status == Assessment.Status.COMPLETED
    state = assessment.ai_state
    assert state["usage"]["calls"] >= 1  # the model was asked
    generated = await db(lambda: list(Question.objects.filter(test=s.test, source=Question.Source.GENERATED)))()
    # Every item the real model wrote is either stored having passed every check, judged ones included,
    # or counted on the attempt with why it was rejected.
    assert all("reviewer: explanation supports the key" in q.validation["passed"] for q in generated)
    assert len(generated) + sum(state.get("rejections", {}).values()) >= 1
    assert {q.pk for q in sources if q.source == Question.Source.GENERATED} <= {q.pk for q in generated}


async def test_items_the_real_model_writes_are_served_when_they_pass_the_gate(ws_clients, on_local_model, settings):
    """With the model's own judgement off (a 135M model's verdicts are noise), the checks of shape and
    words alone decide; what passes them is stored, and it is what a candidate is asked, not the bank."""
    settings.JATAYU_AI_VERIFY = False
    test = await db(published_test_with_bank)(questions=2, total_questions=1, job_description=JOB)
    await real_skills_of(test)
    # Most of what a 135M model writes fails even these checks: ask until one item is accepted.
    out = io.StringIO()
    for _ in range(GENERATE_ROUNDS):
        _client_utils._cached_async_httpx_client.cache_clear()  # each round runs a loop of its own
        try:
            await db(call_command)("generate_questions", test.pk, "--count", "1", stdout=out)
            break
        except CommandError:
            continue
    generated = await db(lambda: list(Question.objects.filter(test=test, source=Question.Source.GENERATED)))()
    assert len(generated) == 1, out.getvalue()
    assert generated[0].model_name == on_local_model.name
    # Only the generated item is left to ask.
    await db(Question.objects.filter(test=test, source=Question.Source.BANK).update)(active=False)
    user = await db(enrolled_candidate)(test=test)
    question = (await attempt_started(ws_clients, test=test, user=user)).question
    assert question["data"]["question_id"] == generated[0].pk
    assert question["data"]["prompt"] == generated[0].prompt
    assert sorted(question["data"]["options"]) == sorted(generated[0].options)


async def real_skills(started: Started) -> Started:
    await real_skills_of(started.test)
    return started


async def real_skills_of(test: Test) -> None:
    """Skills a model can write about, instead of the factories' "skill 1" and "skill 2"."""

    def rename() -> None:
        for skill, name in zip(Skill.objects.filter(test=test).order_by("order"), SKILLS, strict=False):
            skill.name = name
            skill.save(update_fields=["name"])

    await db(rename)()


async def chat(client: Client, message: str) -> tuple[str, str]:
    await client.send("chat_message", {"message": message}, id="c1")
    chunks = []
    while (reply := await client.recv())["type"] == "chat_chunk":
        chunks.append(reply["data"]["delta"])
    assert reply["type"] == "system_message", reply
    return "".join(chunks), reply["data"]["message"]
