"""A worker keeps the sessions of its open connections marked as seen, with no help from clients,
and forgets a connection once it closes."""

from datetime import timedelta
from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.utils import timezone

from assessments.models import CandidateSession
from assessments.tests.factories import enrolled_candidate, published_test_with_bank
from realtime.liveness import worker_liveness
from testsupport.sockets import Client, db, start_attempt
from testsupport.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def quick_rounds(settings):
    settings.JATAYU_SESSION_TOUCH_SECONDS = 0.05


def held_keys() -> set[str]:
    return {held.connection_id for held in worker_liveness.held.values()}


async def test_a_silent_connection_stays_seen_until_it_closes(ws_clients, quick_rounds):
    test = await db(published_test_with_bank)()
    user = await db(enrolled_candidate)(test=test)
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    key = (await client.auth(token_for(user)))["data"]["connection_id"]
    assert key in held_keys()
    long_ago = timezone.now() - timedelta(hours=1)
    await db(CandidateSession.objects.filter(key=key).update)(last_seen_at=long_ago)

    for _ in range(100):  # the client sends nothing at all meanwhile
        seen = (await db(CandidateSession.objects.get)(key=key)).last_seen_at
        if seen > long_ago:
            break
        await client.nothing()
    assert seen > timezone.now() - timedelta(seconds=30)

    await client.ws.disconnect()
    assert key not in held_keys()


@pytest.mark.parametrize("failing", ["user_", "test_"])
async def test_a_connection_whose_groups_cannot_be_joined_is_closed_to_try_again(ws_clients, monkeypatch, failing):
    """Both groups are joined before the session is claimed: an open socket that can never hear its
    kick-out or its test's pushes would help nobody, so it closes 1013 having claimed nothing."""
    from realtime import resilient

    test = await db(published_test_with_bank)()
    user = await db(enrolled_candidate)(test=test)
    joined = resilient.groups_add

    async def group_down(layer: Any, groups: Any, channel: str) -> None:
        if any(group.startswith(failing) for group in groups):
            raise ConnectionError("the channel layer went away")
        await joined(layer, groups, channel)

    monkeypatch.setattr(resilient, "groups_add", group_down)
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    await client.send("auth", {"token": token_for(user)})
    await client.expect_error("internal_error")
    await client.expect_close(1013)
    assert f"{user.pk}_{test.pk}" not in held_keys()
    assert not await db(CandidateSession.objects.filter(candidate=user).exists)()


async def test_a_consumer_that_dies_without_disconnect_is_no_longer_kept_seen():
    """Whatever ends a consumer (here a malformed channel-layer event), its session stops being touched."""
    started = await start_attempt(Client)  # not ws_clients: a dead application cannot be disconnected
    (channel_name,) = list(worker_liveness.held)
    # No message in it: the handler raises.
    await get_channel_layer().send(channel_name, {"type": "attempt.event", "test_id": started.test.pk})
    with pytest.raises(KeyError):
        await started.client.ws.receive_output(timeout=3)
    assert channel_name not in worker_liveness.held


async def test_a_takeover_whose_kick_out_never_arrives_closes_the_old_socket_within_a_round(
    ws_clients, quick_rounds, monkeypatch
):
    """The kick-out is at most once (a Redis outage loses it): the touch round finds the session held by
    a newer epoch and closes the old socket 4008 all the same."""
    from assessments.services.sessions import session_claim

    test = await db(published_test_with_bank)()
    user = await db(enrolled_candidate)(test=test)
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    await client.auth(token_for(user))
    layer = get_channel_layer()
    send = layer.group_send

    async def kick_outs_lost(group: str, message: dict[str, Any]) -> None:
        if message["type"] != "session.replace":
            await send(group, message)

    monkeypatch.setattr(layer, "group_send", kick_outs_lost)
    await db(session_claim)(user=user, test_id=test.pk, channel_name="elsewhere", worker="w9")

    await client.expect("session_replaced")
    await client.expect_error("session_replaced")
    await client.expect_close(4008)
