"""Logout and deactivation end a sign-in on the socket too: open sockets close with 4001, and the
old access token no longer opens one; a token issued afterwards works."""

import pytest
from django.test import Client as HttpClient

from assessments.services.tokens import access_token_for, refresh_token_for
from assessments.tests.factories import enrolled_candidate, published_test_with_bank
from testsupport.sockets import db

pytestmark = pytest.mark.django_db(transaction=True)


async def signed_in(ws_clients):
    test = await db(published_test_with_bank)(questions=3, total_questions=2)
    user = await db(enrolled_candidate)(test=test)
    refresh = await db(refresh_token_for)(user=user)
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    await client.auth(str(refresh.access_token))
    return test, user, refresh, client


def _logout(refresh: str) -> int:
    return HttpClient().post("/api/auth/logout/", {"refresh": refresh}, content_type="application/json").status_code


async def test_logout_closes_the_open_socket_with_4001_and_its_token_opens_no_other(ws_clients):
    test, _user, refresh, client = await signed_in(ws_clients)

    assert await db(_logout)(str(refresh)) == 204
    await client.expect_error("auth_failed")
    await client.expect_close(4001)

    again = ws_clients(f"/ws/assessment/{test.pk}/")
    await again.connect()
    await again.send("auth", {"token": str(refresh.access_token)})
    await again.expect_error("auth_failed")
    await again.expect_close(4001)


async def test_deactivating_the_user_closes_their_socket_with_4001(ws_clients):
    _test, user, _refresh, client = await signed_in(ws_clients)

    def deactivate() -> None:
        user.is_active = False
        user.save()

    await db(deactivate)()
    await client.expect_error("auth_failed")
    await client.expect_close(4001)


async def test_a_socket_signed_in_after_the_logout_stays_open(ws_clients):
    test, user, refresh, _client = await signed_in(ws_clients)
    await db(_logout)(str(refresh))

    fresh = ws_clients(f"/ws/assessment/{test.pk}/")
    await fresh.connect()
    await fresh.auth(str(await db(access_token_for)(user=user)))
    await fresh.send("heartbeat", id="beat")
    (pong,) = await fresh.expect("pong")
    assert pong["ref"] == "beat"
