"""Liveness of CandidateSession rows: a row a killed worker never released stops counting as connected
once its worker has not refreshed it for stale_after(), in the live monitor, in `connections`, and when a
client reconnects on its own."""

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from assessments.errors import ApplicationError
from assessments.models import CandidateSession, Test
from assessments.selectors.monitor import blueprint_live_state
from assessments.selectors.sessions import live_connection_counts, stale_after, touch_every
from assessments.services.sessions import (
    SessionClaim,
    session_claim,
    session_release,
    sessions_touch,
)
from assessments.tests.factories import candidate_connect, enrolled_candidate, published_test_with_bank

pytestmark = pytest.mark.django_db


def claim(user: User, blueprint: Test, *, worker: str, reconnecting_epoch: int | None = None) -> SessionClaim:
    return session_claim(
        user=user,
        test_id=blueprint.pk,
        channel_name=f"daphne.{user.pk}",
        worker=worker,
        reconnecting_epoch=reconnecting_epoch,
    )


def last_seen(seconds_ago: float, *, key: str) -> None:
    """Age a session as if its worker had stopped refreshing it `seconds_ago`."""
    CandidateSession.objects.filter(key=key).update(last_seen_at=timezone.now() - timedelta(seconds=seconds_ago))


def stale() -> float:
    return stale_after().total_seconds() + 1


@contextmanager
def override_batch(size: int) -> Iterator[None]:
    from assessments.services import sessions

    before, sessions.TOUCH_BATCH = sessions.TOUCH_BATCH, size
    try:
        yield
    finally:
        sessions.TOUCH_BATCH = before


@pytest.fixture
def blueprint() -> Test:
    return published_test_with_bank(title="Backend")


# --- the thresholds ----------------------------------------------------------------------------------------


def test_a_live_worker_misses_two_rounds_before_its_sessions_go_stale() -> None:
    assert 3 * touch_every() <= stale_after()


# --- claim and touch -----------------------------------------------------------------------------------------


def test_claim_marks_the_session_seen_now(blueprint: Test) -> None:
    user = enrolled_candidate(test=blueprint)
    before = timezone.now()
    key = claim(user, blueprint, worker="w1:1").connection_id
    last_seen(3600, key=key)

    claim(user, blueprint, worker="w1:1")

    seen = CandidateSession.objects.get(key=key).last_seen_at
    assert seen is not None
    assert seen >= before


def test_touching_refreshes_only_the_held_sessions_still_open_at_that_epoch(blueprint: Test) -> None:
    mine, released, elsewhere = (
        claim(enrolled_candidate(test=blueprint), blueprint, worker=w) for w in ("w1:1", "w1:1", "w2:2")
    )
    session_release(connection_id=released.connection_id, epoch=released.epoch)
    for c in (mine, released, elsewhere):
        last_seen(stale(), key=c.connection_id)

    held = [(mine.connection_id, mine.epoch), (released.connection_id, released.epoch)]
    assert sessions_touch(held=held) == 1

    fresh = timezone.now() - timedelta(seconds=5)
    fresh_keys = set(CandidateSession.objects.filter(last_seen_at__gt=fresh).values_list("key", flat=True))
    assert fresh_keys == {mine.connection_id}
    assert live_connection_counts().total == 1


def test_a_process_holding_an_older_epoch_does_not_keep_a_newer_dead_claim_alive(blueprint: Test) -> None:
    """Same worker name after a restart, or a kicked connection not yet closed: only its own epoch counts."""
    user = enrolled_candidate(test=blueprint)
    old = claim(user, blueprint, worker="w1:1")
    new = claim(user, blueprint, worker="w1:1")  # its process then died
    last_seen(stale(), key=new.connection_id)

    assert sessions_touch(held=[(old.connection_id, old.epoch)]) == 0
    assert live_connection_counts().total == 0
    assert sessions_touch(held=[(new.connection_id, new.epoch)]) == 1
    assert live_connection_counts().total == 1


def test_touching_many_sessions_goes_in_batches(blueprint: Test) -> None:
    claims = [claim(enrolled_candidate(test=blueprint), blueprint, worker="w1:1") for _ in range(5)]
    for c in claims:
        last_seen(stale(), key=c.connection_id)
    with override_batch(2):
        assert sessions_touch(held=[(c.connection_id, c.epoch) for c in claims]) == 5
    assert live_connection_counts().total == 5


# --- reconnecting with an older epoch --------------------------------------------------------------------------


def test_a_reconnect_does_not_take_over_from_a_newer_live_connection(blueprint: Test) -> None:
    user = enrolled_candidate(test=blueprint)
    old = claim(user, blueprint, worker="w1:1")
    newer = claim(user, blueprint, worker="w2:2")

    with pytest.raises(ApplicationError) as refused:
        claim(user, blueprint, worker="w1:1", reconnecting_epoch=old.epoch)

    assert refused.value.code == "session_replaced"
    assert CandidateSession.objects.get(key=newer.connection_id).epoch == newer.epoch


def test_a_reconnect_takes_over_from_a_newer_connection_whose_worker_died(blueprint: Test) -> None:
    user = enrolled_candidate(test=blueprint)
    old = claim(user, blueprint, worker="w1:1")
    newer = claim(user, blueprint, worker="w2:2")  # then w2 is SIGKILLed: its row is never released
    last_seen(stale(), key=newer.connection_id)

    again = claim(user, blueprint, worker="w1:1", reconnecting_epoch=old.epoch)

    assert again.epoch == newer.epoch + 1
    session = CandidateSession.objects.get(key=again.connection_id)
    assert (session.worker, session.disconnected_at) == ("w1:1", None)


# --- the live monitor ------------------------------------------------------------------------------------------


def test_the_monitor_does_not_count_a_session_not_seen_for_stale_after(blueprint: Test) -> None:
    fresh, gone = enrolled_candidate(test=blueprint), enrolled_candidate(test=blueprint)
    claim(fresh, blueprint, worker="w1:1")
    last_seen(stale_after().total_seconds() - 10, key=claim(gone, blueprint, worker="w2:2").connection_id)
    assert blueprint_live_state(test=blueprint)["connected"] == 2

    last_seen(stale(), key=f"{gone.pk}_{blueprint.pk}")  # w2 was killed: nothing refreshed it since

    state = blueprint_live_state(test=blueprint)
    assert state["connected"] == 1
    assert [(r["candidate"], r["connected"]) for r in state["rows"]] == [(fresh.username, True)]


def test_the_monitor_shows_a_running_attempt_of_a_stale_session_as_disconnected(blueprint: Test) -> None:
    from assessments.services.attempts import assessment_start

    user = enrolled_candidate(test=blueprint)
    conn = candidate_connect(user=user, test=blueprint, worker="w2:2")
    assessment_start(conn=conn)
    last_seen(stale(), key=conn.connection_id)

    state = blueprint_live_state(test=blueprint)

    assert state["running"] == 1
    assert state["connected"] == 0
    assert [(r["candidate"], r["connected"], r["worker"]) for r in state["rows"]] == [(user.username, False, "")]


# --- manage.py connections --------------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("connections", *args, stdout=out)
    return out.getvalue()


def test_connections_counts_stale_sessions_apart_under_the_worker_that_left_them(blueprint: Test) -> None:
    live, gone_a, gone_b = (enrolled_candidate(test=blueprint) for _ in range(3))
    claim(live, blueprint, worker="w1:100")
    for user in (gone_a, gone_b):
        last_seen(stale(), key=claim(user, blueprint, worker="w2:200").connection_id)

    text = run()
    summary = json.loads(run("--json"))

    assert "live connections: 1" in text
    assert "stale sessions, not counted above: 2" in text
    assert f"not seen for {int(stale_after().total_seconds())} s" in text
    per_worker, stale_per_worker = text.split("stale per worker:")
    assert "w2:200" not in per_worker
    assert "w2:200       2" in stale_per_worker
    assert summary["total"] == 1
    assert summary["per_worker"] == [{"worker": "w1:100", "connections": 1}]
    assert summary["per_test"] == [{"test_id": blueprint.pk, "title": "Backend", "connections": 1}]
    assert summary["stale"] == 2
    assert summary["stale_per_worker"] == [{"worker": "w2:200", "sessions": 2}]


def test_connections_with_only_stale_sessions(blueprint: Test) -> None:
    last_seen(stale(), key=claim(enrolled_candidate(test=blueprint), blueprint, worker="w2:200").connection_id)

    text = run()

    assert text.startswith("live connections: 0\n\nstale sessions, not counted above: 1")
    assert "per test:" not in text


def test_only_a_claim_that_takes_over_tells_the_users_group(
    group_sends: list[tuple[str, dict[str, object]]], django_capture_on_commit_callbacks: Any
) -> None:
    """A new session has no older connection to replace, so its claim costs no channel-layer send."""
    blueprint = published_test_with_bank(questions=2)
    user = enrolled_candidate(test=blueprint)

    with django_capture_on_commit_callbacks(execute=True):
        first = claim(user, blueprint, worker="w1")
    assert first.epoch == 1
    assert group_sends == []

    with django_capture_on_commit_callbacks(execute=True):
        second = claim(user, blueprint, worker="w2")
    assert group_sends == [
        (
            f"user_{user.pk}",
            {"type": "session.replace", "connection_id": second.connection_id, "epoch": 2},
        )
    ]
