"""Heartbeats keep a connection's session seen (`last_seen_at`), writing at most once per TOUCH_EVERY.

Two throttles: the connection asks the database only once TOUCH_EVERY has passed on its own clock,
and the UPDATE itself skips a row seen within TOUCH_EVERY (another worker may have touched it).
"""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from assessments.models import CandidateSession
from assessments.services.sessions import TOUCH_EVERY
from assessments.tests.factories import enrolled_candidate, published_test_with_bank
from realtime.tests.conftest import Client, db, token_for

pytestmark = pytest.mark.django_db(transaction=True)


def last_seen_set(*, key: str, at: datetime) -> None:
    CandidateSession.objects.filter(key=key).update(last_seen_at=at)


def last_seen_of(*, key: str) -> datetime | None:
    return CandidateSession.objects.get(key=key).last_seen_at


async def heartbeat(client: Client) -> None:
    """Send a heartbeat and wait until the server has handled it whole.

    The session is touched after the pong; a second heartbeat's pong proves the first touch is done,
    since one connection's frames are handled one at a time.
    """
    await client.send("heartbeat")
    await client.expect("pong")
    await client.send("heartbeat")
    await client.expect("pong")


@pytest.fixture
async def connected(ws_clients) -> tuple[Client, str]:
    test = await db(published_test_with_bank)()
    user = await db(enrolled_candidate)(test=test)
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    success = await client.auth(token_for(user))
    return client, success["data"]["connection_id"]


@pytest.fixture
def connection_clock_elapsed(monkeypatch):
    """As if this connection last touched its session more than TOUCH_EVERY ago."""
    monkeypatch.setattr("realtime.consumers.TOUCH_EVERY", timedelta(0))


async def test_a_heartbeat_refreshes_last_seen_once_it_is_older_than_the_throttle(
    connected, connection_clock_elapsed
) -> None:
    client, key = connected
    long_ago = timezone.now() - TOUCH_EVERY - timedelta(seconds=1)
    await db(last_seen_set)(key=key, at=long_ago)

    await heartbeat(client)

    seen = await db(last_seen_of)(key=key)
    assert seen is not None
    assert seen > long_ago
    assert timezone.now() - seen < timedelta(seconds=5)
    await client.nothing()


async def test_heartbeats_within_the_throttle_do_not_write(connected, connection_clock_elapsed) -> None:
    client, key = connected
    recently = timezone.now() - TOUCH_EVERY + timedelta(seconds=10)
    await db(last_seen_set)(key=key, at=recently)

    await heartbeat(client)
    await heartbeat(client)

    assert await db(last_seen_of)(key=key) == recently
    await client.nothing()


async def test_a_fresh_connection_does_not_query_on_every_heartbeat(connected) -> None:
    """Its own clock says the claim touched the session just now, so a stale row stays untouched."""
    client, key = connected
    long_ago = timezone.now() - TOUCH_EVERY - timedelta(seconds=1)
    await db(last_seen_set)(key=key, at=long_ago)

    await heartbeat(client)

    assert await db(last_seen_of)(key=key) == long_ago
