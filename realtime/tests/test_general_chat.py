"""The general chat (`/ws/chat/`, or a test's connection outside a running attempt): never a way
around the guarded tutor of a running attempt, and limited per user whichever worker serves it."""

import asyncio
from datetime import timedelta

import pytest
from django.utils import timezone

from assessments import clock
from assessments.models import Assessment, ChatMessage, IntegrityEvent
from assessments.tests.fake_openai import FakeOpenAI, Reply
from testsupport.sockets import db, start_attempt
from testsupport.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)


async def general_chat(ws_clients, user):
    client = ws_clients("/ws/chat/")
    await client.connect()
    await client.auth(token_for(user))
    return client


async def ask(client, message: str) -> dict:
    await client.send("chat_message", {"message": message})
    while (reply := await client.recv())["type"] == "chat_chunk":
        pass
    return reply


def deadline_passed(*, user) -> None:
    """The running attempt's deadline (and its grace) ended a second ago, and nothing has expired it yet."""
    past = timezone.now() - clock.time_up_grace() - timedelta(seconds=1)
    Assessment.objects.filter(candidate=user).update(deadline_at=past)


def tutor_calls(fake_openai: FakeOpenAI) -> int:
    return len([r for r in fake_openai.requests if r.get("stream")])


async def test_general_chat_is_refused_while_an_attempt_runs(ws_clients, fake_openai: FakeOpenAI):
    started = await start_attempt(ws_clients)
    fake_openai.responder = lambda request: Reply(text="The answer is whatever you like.")
    calls_before = tutor_calls(fake_openai)
    chat = await general_chat(ws_clients, started.user)
    await chat.send("chat_message", {"message": "which option is right in my other tab?"}, id="g1")
    error = await chat.expect_error("assessment_in_progress")
    assert error["ref"] == "g1"
    assert str(started.test.pk) in error["data"]["message"]
    assert tutor_calls(fake_openai) == calls_before
    assert not await db(ChatMessage.objects.filter(candidate=started.user).exists)()


async def test_general_chat_is_open_again_once_the_attempt_has_ended(ws_clients, fake_openai: FakeOpenAI):
    started = await start_attempt(ws_clients)
    await started.client.send("complete_assessment")
    await started.client.expect("assessment_completed")
    fake_openai.responder = lambda request: Reply(text="Big-O describes growth.")
    chat = await general_chat(ws_clients, started.user)
    reply = await ask(chat, "what is big-O?")
    assert reply["type"] == "system_message"
    assert reply["data"]["message"] == "Big-O describes growth."
    stored = await db(lambda: list(ChatMessage.objects.filter(candidate=started.user).values_list("role", "content")))()
    assert stored == [("candidate", "what is big-O?"), ("tutor", "Big-O describes growth.")]


async def test_an_attempt_past_its_deadline_does_not_block_the_general_chat(ws_clients):
    started = await start_attempt(ws_clients)
    await db(deadline_passed)(user=started.user)
    chat = await general_chat(ws_clients, started.user)
    reply = await ask(chat, "hello")
    assert reply["type"] == "system_message"


async def test_general_chat_is_limited_per_user_per_24_hours(ws_clients, candidate, settings):
    settings.JATAYU_GENERAL_CHAT_LIMIT = 2
    chat = await general_chat(ws_clients, candidate)
    assert (await ask(chat, "one"))["type"] == "system_message"
    assert (await ask(chat, "two"))["type"] == "system_message"
    await chat.send("chat_message", {"message": "three"})
    error = await chat.expect_error("chat_limit")
    assert "24 hours" in error["data"]["message"]
    # A day later the oldest message no longer counts.
    old = timezone.now() - timedelta(hours=25)
    first = await db(ChatMessage.objects.filter(candidate=candidate, content="one").first)()
    await db(ChatMessage.objects.filter(pk=first.pk).update)(created_at=old)
    assert (await ask(chat, "three"))["type"] == "system_message"


async def test_attempt_messages_on_the_general_endpoint_are_no_test(ws_clients, candidate):
    chat = await general_chat(ws_clients, candidate)
    for message_type, data in [("resume", {"last_seq": 0}), ("integrity_event", {"kind": "copy"})]:
        await chat.send(message_type, data)
        await chat.expect_error("no_test")


async def test_an_integrity_event_after_the_deadline_ends_the_attempt_instead(ws_clients):
    started = await start_attempt(ws_clients)
    await db(deadline_passed)(user=started.user)
    await started.client.send("integrity_event", {"kind": "copy"}, id="i1")
    # The connection's own timer may also report the end; either way it is the logged timeout.
    (completed,) = await started.client.expect("assessment_completed")
    assert completed["data"]["status"] == "timed_out"
    assert not await db(IntegrityEvent.objects.exists)()


async def test_a_chat_message_after_the_deadline_ends_the_attempt_even_when_the_general_chat_is_full(
    ws_clients, settings
):
    """It is not general chat then: the expiry commits and the candidate hears it, nothing is stored."""
    settings.JATAYU_GENERAL_CHAT_LIMIT = 0
    started = await start_attempt(ws_clients)
    await db(deadline_passed)(user=started.user)
    await started.client.send("chat_message", {"message": "is it too late?"}, id="c1")
    (completed,) = await started.client.expect("assessment_completed")
    assert completed["data"]["status"] == "timed_out"
    assert (await db(Assessment.objects.get)(candidate=started.user)).status == "timed_out"
    assert not await db(ChatMessage.objects.exists)()


async def test_a_reply_cut_off_by_a_disconnect_is_recorded_with_its_cost(ws_clients, fake_openai: FakeOpenAI):
    started = await start_attempt(ws_clients)
    fake_openai.responder = lambda request: (
        Reply(text="Slowly thinking about it. " * 20, chunk_size=5, chunk_delay=0.05)
        if request.get("stream")
        else Reply(status=500)
    )
    await started.client.send("chat_message", {"message": "help"}, id="c1")
    for _ in range(50):  # the reply about the question on screen is held for its judge: nothing streams
        if any(r.get("stream") for r in fake_openai.requests):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # the tutor is replying
    await started.client.ws.disconnect()

    def tutor_rows() -> list[str]:
        return list(ChatMessage.objects.filter(role="tutor").values_list("content", flat=True))

    for _ in range(50):
        if await db(tutor_rows)():
            break
        await asyncio.sleep(0.1)
    (reply,) = await db(tutor_rows)()
    assert "closed before the tutor finished" in reply
    assessment = await db(Assessment.objects.get)(candidate=started.user)
    assert "usage" in assessment.ai_state  # recorded, though the model never got to send its token counts
