"""The tutor talks about the question the page shows (`chat_message.question_id`): after an answer, the
one whose feedback is on screen, as far as the feedback mode shows it; never the next one, which the
server has already sent but the page has not shown yet."""

import json

import pytest

from assessments.ai.guard import REFUSAL
from assessments.models import ChatMessage, Question, Test
from assessments.tests.fake_openai import CLEAR, FakeOpenAI, Reply, is_judge_request
from testsupport.sockets import Client, db, start_attempt

pytestmark = pytest.mark.django_db(transaction=True)


async def answered_first(ws_clients, fake: FakeOpenAI, mode: str) -> tuple[Client, Question, Question, list[str]]:
    """The first question answered (its feedback on screen) and the second already sent."""
    s = await start_attempt(ws_clients, questions=4, total=3, feedback_mode=mode)
    first = await db(Question.objects.get)(pk=s.question["data"]["question_id"])
    await s.client.send("submit_answer", {"question_id": first.pk, "selected_option": 0})
    _, _, following = await s.client.expect("answer_feedback", "progress_update", "question")
    second = await db(Question.objects.get)(pk=following["data"]["question_id"])
    return s.client, first, second, s.question["data"]["options"]


def tutor_says(text: str, asked: list[dict]):
    def respond(request: dict) -> Reply:
        if is_judge_request(request):
            return CLEAR
        if not request.get("stream"):
            return Reply(status=500)
        asked.append(request)
        return Reply(text=text)

    return respond


async def chat(client: Client, data: dict) -> dict:
    await client.send("chat_message", data, id="c1")
    while (reply := await client.recv())["type"] == "chat_chunk":
        pass
    return reply


async def test_with_full_feedback_the_tutor_explains_the_answered_question_and_its_key(ws_clients, fake_openai):
    client, first, second, _served = await answered_first(ws_clients, fake_openai, Test.FeedbackMode.FULL)
    key_text = first.options[first.correct_option]
    asked: list[dict] = []
    fake_openai.responder = tutor_says(f"It is {key_text}, because {first.explanation}", asked)

    reply = await chat(client, {"message": "Why was that the answer?", "question_id": first.pk})

    assert reply["type"] == "system_message"
    assert reply["data"]["message"] == f"It is {key_text}, because {first.explanation}"
    (tutor_request,) = asked
    system = json.dumps(tutor_request["messages"][0])
    assert first.prompt in system
    assert key_text in system
    assert second.prompt not in system  # the next question, sent but not shown, is not talked about


async def test_with_correctness_feedback_the_answered_questions_key_stays_guarded(ws_clients, fake_openai):
    client, first, second, _served = await answered_first(ws_clients, fake_openai, Test.FeedbackMode.CORRECTNESS)
    asked: list[dict] = []
    fake_openai.responder = tutor_says(f"The answer was {first.options[first.correct_option]}.", asked)

    reply = await chat(client, {"message": "Which one was it?", "question_id": first.pk})

    assert reply["data"]["message"] == REFUSAL
    system = json.dumps(asked[0]["messages"][0])
    assert first.prompt in system
    assert second.prompt not in system
    told = system.split("The candidate has answered this question", 1)[1]
    assert first.options[first.correct_option] not in told


async def test_without_a_question_id_the_tutor_talks_about_the_open_question(ws_clients, fake_openai):
    client, _first, second, _ = await answered_first(ws_clients, fake_openai, Test.FeedbackMode.CORRECTNESS)
    asked: list[dict] = []
    fake_openai.responder = tutor_says("Think about what the question asks.", asked)

    await chat(client, {"message": "Help?"})

    assert second.prompt in json.dumps(asked[0]["messages"][0])


async def test_a_question_the_page_was_never_shown_is_refused_and_nothing_is_stored(ws_clients, fake_openai):
    client, first, second, _ = await answered_first(ws_clients, fake_openai, Test.FeedbackMode.FULL)
    asked: list[dict] = []
    fake_openai.responder = tutor_says("anything", asked)
    unseen = await db(lambda: Question.objects.filter(test=first.test).exclude(pk__in=[first.pk, second.pk]).first())()

    reply = await chat(client, {"message": "And this one?", "question_id": unseen.pk})

    assert (reply["type"], reply["data"]["code"]) == ("error", "not_in_assessment")
    assert asked == []
    assert await db(ChatMessage.objects.count)() == 0
