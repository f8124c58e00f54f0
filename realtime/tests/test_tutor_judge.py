"""The tutor's second line: while a question is on screen, a judge that never sees the key reads every
draft reply before any of it goes out. A reply the patterns cannot catch, because it names the key by
what it means, is refused when the judge finds a student could now pick or rule out an option."""

import pytest

from assessments.ai.guard import REFUSAL
from assessments.models import ChatMessage, Question
from assessments.tests.fake_openai import Reply, is_judge_request
from testsupport.sockets import Client, db, start_attempt

pytestmark = pytest.mark.django_db(transaction=True)

# Names no option, so the patterns let it through; it describes only one of them.
PARAPHRASE = "Think of the one that lets the most urgent element leave first, whatever order they came in."


async def started(ws_clients) -> tuple[Client, list[str], int, Question]:
    s = await start_attempt(ws_clients, questions=4, total=2)
    question = await db(Question.objects.get)(pk=s.question["data"]["question_id"])
    served = s.question["data"]["options"]
    return s.client, served, served.index(question.options[question.correct_option]), question


def model(*, reply: str, verdict: Reply):
    def respond(request: dict) -> Reply:
        if is_judge_request(request):
            return verdict
        return Reply(text=reply, chunk_size=5) if request.get("stream") else Reply(status=500)

    return respond


async def chat(client: Client, message: str) -> tuple[list[str], str]:
    await client.send("chat_message", {"message": message}, id="c1")
    chunks = []
    while (reply := await client.recv())["type"] == "chat_chunk":
        chunks.append(reply["data"]["delta"])
    assert reply["type"] == "system_message", reply
    return chunks, reply["data"]["message"]


async def stored_tutor_reply() -> ChatMessage:
    (stored,) = await db(lambda: list(ChatMessage.objects.filter(role="tutor")))()
    return stored


async def test_a_reply_that_means_the_key_is_refused_and_recorded_as_a_blocked_leak(ws_clients, fake_openai) -> None:
    client, _served, key, _question = await started(ws_clients)
    fake_openai.responder = model(reply=PARAPHRASE, verdict=Reply(json_content={"picks": key, "excludes": []}))

    chunks, final = await chat(client, "just tell me which")

    assert (chunks, final) == ([], REFUSAL)
    stored = await stored_tutor_reply()
    assert (stored.content, stored.blocked_leak) == (REFUSAL, True)


async def test_a_reply_that_rules_out_a_wrong_option_is_refused_without_a_leak(ws_clients, fake_openai) -> None:
    """Whichever option it is: a refusal only for the key would give the key away."""
    client, served, key, _question = await started(ws_clients)
    wrong = next(i for i in range(len(served)) if i != key)
    fake_openai.responder = model(reply=PARAPHRASE, verdict=Reply(json_content={"picks": None, "excludes": [wrong]}))

    chunks, final = await chat(client, "which one is surely wrong?")

    assert (chunks, final) == ([], REFUSAL)
    assert (await stored_tutor_reply()).blocked_leak is False


async def test_ruling_out_every_other_option_is_a_leak_of_the_key(ws_clients, fake_openai) -> None:
    client, served, key, _question = await started(ws_clients)
    others = [i for i in range(len(served)) if i != key]
    fake_openai.responder = model(reply=PARAPHRASE, verdict=Reply(json_content={"picks": None, "excludes": others}))

    _chunks, final = await chat(client, "eliminate for me")

    assert final == REFUSAL
    assert (await stored_tutor_reply()).blocked_leak is True


async def test_when_the_judge_cannot_answer_the_reply_is_refused_not_released(ws_clients, fake_openai) -> None:
    client, *_ = await started(ws_clients)
    harmless = "Think about what each structure guarantees when you remove an element."
    fake_openai.responder = model(reply=harmless, verdict=Reply(status=500))

    chunks, final = await chat(client, "how do I approach this?")

    assert (chunks, final) == ([], REFUSAL)


async def test_the_judge_reads_the_question_the_options_and_the_draft_and_never_the_key(
    ws_clients, fake_openai
) -> None:
    client, served, _key, question = await started(ws_clients)
    harmless = "Think about what each structure guarantees when you remove an element."
    fake_openai.responder = model(reply=harmless, verdict=Reply(json_content={"picks": None, "excludes": []}))

    chunks, final = await chat(client, "how do I approach this?")

    assert chunks == [harmless]
    assert final == harmless
    (judged,) = [r for r in fake_openai.requests if is_judge_request(r)]
    context = str(judged["messages"])
    assert question.prompt in context
    assert harmless in context
    assert all(option in context for option in served)
    assert question.explanation not in context
    assert "correct" not in context.lower()  # no key, no "correct_option", no marked option


async def test_general_chat_has_no_question_to_judge(ws_clients, fake_openai) -> None:
    from assessments.tests.factories import enrolled_candidate, published_test_with_bank
    from testsupport.tokens import token_for

    user = await db(lambda: enrolled_candidate(test=published_test_with_bank()))()
    client = ws_clients("/ws/chat/")
    await client.connect()
    await client.auth(token_for(user))
    fake_openai.responder = model(reply="Practise reading the job description first.", verdict=Reply(status=500))

    _chunks, final = await chat(client, "how should I prepare?")

    assert final == "Practise reading the job description first."
    assert not any(is_judge_request(r) for r in fake_openai.requests)
