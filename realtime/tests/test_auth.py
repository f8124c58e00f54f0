"""Authentication and access: always accept first, then an `error` naming the reason, then the close code."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from assessments.models import CandidateApplication, Test
from assessments.tests.factories import AssessmentFactory, UserFactory, enrolled_candidate, published_test_with_bank
from testsupport.sockets import db
from testsupport.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def test_and_candidate():
    test = await db(published_test_with_bank)(questions=4, total_questions=2)
    user = await db(enrolled_candidate)(test=test)
    return test, user


async def test_first_message_auth_succeeds_with_connection_id(ws_clients, test_and_candidate):
    test, user = test_and_candidate
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    success = await client.auth(token_for(user))
    assert success["data"]["user_id"] == user.pk
    assert success["data"]["connection_id"] == f"{user.pk}_{test.pk}"
    assert success["data"]["recovered"] is False
    assert success["data"]["assessment"] is None
    assert "server_time" in success["data"]


async def test_query_token_and_query_test_id_work_for_the_seeds_clients(ws_clients, test_and_candidate):
    test, user = test_and_candidate
    client = ws_clients(f"/ws/assessment/?test_id={test.pk}&token={token_for(user)}")
    await client.connect()
    (success,) = await client.expect("auth_success")
    assert success["data"]["connection_id"] == f"{user.pk}_{test.pk}"


async def test_general_chat_endpoint_has_no_test(ws_clients, candidate):
    client = ws_clients("/ws/chat/")
    await client.connect()
    success = await client.auth(token_for(candidate))
    assert success["data"]["connection_id"] == f"{candidate.pk}_general"
    await client.send("chat_message", {"message": "hello"})
    while (reply := await client.recv())["type"] == "chat_chunk":
        pass
    assert reply["type"] == "system_message"
    assert "seq" not in reply
    await client.send("start_assessment")
    await client.expect_error("no_test")


def _expired_token(user) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(from_time=timezone.now() - timedelta(hours=1))
    return str(token)


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (lambda user: "not-a-jwt", "auth_failed"),
        (lambda user: str(RefreshToken.for_user(user)), "auth_failed"),
        (_expired_token, "token_expired"),
    ],
    ids=["garbage", "refresh-token", "expired"],
)
async def test_bad_tokens_close_4001_after_accepting(ws_clients, test_and_candidate, make_token, code):
    test, user = test_and_candidate
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    await client.send("auth", {"token": await db(make_token)(user)})
    await client.expect_error(code)
    await client.expect_close(4001)


async def test_inactive_and_deleted_users_are_refused(ws_clients, test_and_candidate):
    test, user = test_and_candidate
    token = token_for(user)
    user.is_active = False
    await db(user.save)()
    client = ws_clients(f"/ws/assessment/{test.pk}/?token={token}")
    await client.connect()
    await client.expect_error("auth_failed")
    await client.expect_close(4001)

    other = await db(UserFactory)()
    other_token = token_for(other)
    await db(get_user_model().objects.filter(pk=other.pk).delete)()
    client = ws_clients(f"/ws/assessment/{test.pk}/?token={other_token}")
    await client.connect()
    await client.expect_error("auth_failed")
    await client.expect_close(4001)


async def test_any_message_before_auth_is_refused_and_nothing_runs(ws_clients, test_and_candidate):
    test, _ = test_and_candidate
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    await client.send("start_assessment")
    await client.expect_error("auth_required")
    await client.expect_close(4001)
    assert await db(test.assessments.count)() == 0


async def test_no_auth_within_the_timeout_closes_4001(ws_clients, test_and_candidate, settings):
    settings.WS_AUTH_TIMEOUT_SECONDS = 0.2
    test, _ = test_and_candidate
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    await client.expect_error("auth_timeout")
    await client.expect_close(4001)


async def test_token_expiring_during_the_connection_closes_4001(ws_clients, test_and_candidate):
    test, user = test_and_candidate
    token = AccessToken.for_user(user)
    token.set_exp(from_time=timezone.now(), lifetime=timedelta(seconds=1))
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    await client.auth(str(token))
    await client.expect_error("token_expired")
    await client.expect_close(4001)


async def test_second_auth_message_is_an_error_not_a_close(ws_clients, test_and_candidate):
    test, user = test_and_candidate
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    await client.auth(token_for(user))
    await client.send("auth", {"token": token_for(user)})
    await client.expect_error("already_authenticated")
    await client.send("heartbeat")
    await client.expect("pong")


async def test_unknown_test_closes_4004(ws_clients, candidate):
    for path in ("/ws/assessment/999999/", "/ws/assessment/?test_id=abc", "/ws/assessment/"):
        client = ws_clients(path)
        await client.connect()
        await client.send("auth", {"token": token_for(candidate)})
        await client.expect_error("test_not_found")
        await client.expect_close(4004)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"status": Test.Status.DRAFT}, "test_not_published"),
        ({"opens_at_delta": timedelta(days=1)}, "test_not_open"),
        ({"closes_at_delta": -timedelta(minutes=1)}, "test_closed"),
        ({"own_deadline_delta": -timedelta(minutes=1)}, "test_closed"),  # the candidate's own window ended
        ({"application_status": CandidateApplication.Status.REJECTED}, "not_eligible"),
    ],
)
async def test_no_access_closes_4003(ws_clients, test_and_candidate, change, code):
    test, user = test_and_candidate

    def apply() -> None:
        if "status" in change:
            test.status = change["status"]
        if "opens_at_delta" in change:
            test.opens_at = timezone.now() + change["opens_at_delta"]
            test.closes_at = test.opens_at + timedelta(days=1)
        if "closes_at_delta" in change:
            test.opens_at = timezone.now() - timedelta(days=2)
            test.closes_at = timezone.now() + change["closes_at_delta"]
        test.save()
        if "application_status" in change:
            CandidateApplication.objects.filter(candidate=user, test=test).update(status=change["application_status"])
        if "own_deadline_delta" in change:
            own = timezone.now() + change["own_deadline_delta"]
            CandidateApplication.objects.filter(candidate=user, test=test).update(closes_at=own)

    await db(apply)()
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    await client.send("auth", {"token": token_for(user)})
    await client.expect_error(code)
    await client.expect_close(4003)


async def test_test_without_application_requirement_is_open_to_any_candidate(ws_clients, candidate):
    test = await db(published_test_with_bank)(questions=2, total_questions=2, requires_application=False)
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    await client.auth(token_for(candidate))
    await client.send("start_assessment")
    await client.expect("assessment_started", "question")


async def test_attempts_used_up_shows_the_result_then_start_closes_4003(ws_clients, test_and_candidate):
    test, user = test_and_candidate
    finished = await db(AssessmentFactory)(
        test=test, candidate=user, status="completed", score=1, max_score=2, percentage_score=50.0, passed=False
    )
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    success = await client.auth(token_for(user))
    snapshot = success["data"]["assessment"]
    assert success["data"]["recovered"] is False
    assert snapshot["assessment_id"] == finished.pk
    assert snapshot["status"] == "completed"
    assert snapshot["result"]["percentage_score"] == 50.0
    await client.send("start_assessment")
    await client.expect_error("attempts_exhausted")
    await client.expect_close(4003)


async def test_foreign_browser_origin_is_refused_at_handshake(test_and_candidate):
    from channels.testing import WebsocketCommunicator

    from jatayu.asgi import application

    test, _ = test_and_candidate
    ws = WebsocketCommunicator(
        application, f"/ws/assessment/{test.pk}/", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await ws.connect(timeout=3)
    assert connected is False
    await ws.disconnect()
