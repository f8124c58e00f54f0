"""The error codes not exercised elsewhere, and a check that every code in the protocol has a test."""

from pathlib import Path

import pytest

from assessments import messages as msg
from assessments.models import Question
from assessments.services import attempts
from assessments.tests.factories import enrolled_candidate, published_test_with_bank
from assessments.tests.fake_openai import FakeOpenAI, Reply
from testsupport.sockets import db
from testsupport.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def connected(ws_clients):
    test = await db(published_test_with_bank)(questions=3, total_questions=2)
    user = await db(enrolled_candidate)(test=test)
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    await client.auth(token_for(user))
    return client, test


async def test_acting_before_starting_is_no_active_assessment(connected):
    client, _ = connected
    for message_type, data in [
        ("get_question", {}),
        ("submit_answer", {"question_id": 1, "selected_option": 0}),
        ("complete_assessment", {}),
        ("integrity_event", {"kind": "copy"}),
    ]:
        await client.send(message_type, data)
        await client.expect_error("no_active_assessment")
    await client.send("resume", {"last_seq": 0})
    await client.nothing()


async def test_a_test_without_active_questions_is_bank_empty(connected):
    client, test = connected
    await db(Question.objects.filter(test=test).update)(active=False)
    await client.send("start_assessment")
    await client.expect_error("bank_empty")
    await client.send("heartbeat")
    await client.expect("pong")


async def test_a_second_chat_while_the_tutor_replies_is_chat_busy(connected, fake_openai: FakeOpenAI):
    client, _ = connected
    await client.send("start_assessment")
    await client.expect("assessment_started", "question")
    fake_openai.responder = lambda request: (
        Reply(text="Slow thoughts.", delay=1.0) if request.get("stream") else Reply(status=500)
    )
    await client.send("chat_message", {"message": "first"}, id="c1")
    await client.send("chat_message", {"message": "second"}, id="c2")
    error = await client.expect_error("chat_busy")
    assert error["ref"] == "c2"
    while (message := await client.recv())["type"] == "chat_chunk":
        pass
    assert message["type"] == "system_message"
    assert message["ref"] == "c1"


async def test_an_unexpected_exception_is_internal_error_not_a_1011_close(connected, monkeypatch):
    client, _ = connected

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(attempts, "question_current", broken)
    await client.send("get_question", id="g")
    error = await client.expect_error("internal_error")
    assert error["ref"] == "g"
    assert "a bug" not in error["data"]["message"]
    await client.send("heartbeat")
    await client.expect("pong")


def test_every_error_code_has_a_test():
    sources = "\n".join(path.read_text() for path in Path(__file__).parent.glob("test_*.py"))
    untested = [code.value for code in msg.ErrorCode if f'"{code.value}"' not in sources]
    assert untested == []
