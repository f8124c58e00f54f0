"""The back office across processes: the admin (this test process) and the operators' commands (their
own processes) reach a candidate connected to another daphne worker, through the real Redis.

The admin requests run in this process with the Django test client: it shares the database and the
Redis channel layer with the two workers, so a send after commit here is delivered on worker 2.
"""

import json
from datetime import datetime
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment, CandidateApplication, Test
from assessments.tests.factories import PASSWORD
from testsupport.live import Cluster, LiveSocket
from testsupport.live_data import attempt_path, candidate_with_test
from testsupport.tokens import token_for

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]
db = database_sync_to_async


async def candidate_on_worker_2(cluster: Cluster) -> tuple[Test, Any, LiveSocket, int]:
    """A candidate who started an attempt on worker 2: (test, candidate, socket, assessment id)."""
    test, candidate = await db(candidate_with_test)()
    live = await cluster.connect(cluster.w2, attempt_path(test))
    await live.auth(token_for(candidate))
    await live.send("start_assessment", id="start")
    started, _question = await live.expect("assessment_started", "question")
    return test, candidate, live, started["data"]["assessment_id"]


def admin_post(client: Client, name: str, test: Test, data: dict[str, Any]) -> int:
    response = client.post(reverse(f"admin:assessments_test_{name}", args=[test.pk]), data)
    return response.status_code


async def test_monitor_actions_reach_a_candidate_on_another_worker(cluster: Cluster, admin_client: Client) -> None:
    test, candidate, live, assessment_id = await candidate_on_worker_2(cluster)

    # The monitor (read in this process) sees the connection held by worker 2.
    monitor = await db(admin_client.get)(reverse("admin:assessments_test_monitor_data", args=[test.pk]))
    (row,) = monitor.json()["rows"]
    assert (row["candidate"], row["assessment_id"], row["connected"]) == (candidate.username, assessment_id, True)
    assert row["worker"].endswith(f":{cluster.w2.pid}"), row
    before = await db(lambda: Assessment.objects.get(pk=assessment_id).deadline_at)()

    assert (
        await db(admin_post)(admin_client, "monitor_extend", test, {"assessment": assessment_id, "minutes": 10}) == 302
    )
    (extended,) = await live.expect("time_extended")
    after = await db(lambda: Assessment.objects.get(pk=assessment_id).deadline_at)()
    assert (after - before).total_seconds() == 600
    assert datetime.fromisoformat(extended["data"]["deadline"]) == after

    assert await db(admin_post)(admin_client, "monitor_announce", test, {"message": "The break ends at 11:00."}) == 302
    (announcement,) = await live.expect("announcement")
    assert announcement["data"]["message"] == "The break ends at 11:00."

    assert (
        await db(admin_post)(
            admin_client, "monitor_terminate", test, {"assessment": assessment_id, "reason": "left the room"}
        )
        == 302
    )
    (completed,) = await live.expect("assessment_completed")
    assert (completed["data"]["status"], completed["data"]["reason"]) == ("terminated", "terminated")
    await live.nothing()
    assert cluster.tracebacks() == []


async def test_an_accommodation_changed_in_the_admin_reaches_the_running_attempt(
    cluster: Cluster, admin_client: Client
) -> None:
    test, candidate, live, assessment_id = await candidate_on_worker_2(cluster)
    application = await db(CandidateApplication.objects.get)(test=test, candidate=candidate)
    url = reverse("admin:assessments_candidateapplication_change", args=[application.pk])
    data = {"candidate": candidate.username, "test": test.pk, "status": application.status, "time_multiplier": "1.5"}

    response = await db(admin_client.post)(url, data)

    assert response.status_code == 302
    (extended,) = await live.expect("time_extended")
    attempt = await db(Assessment.objects.get)(pk=assessment_id)
    assert datetime.fromisoformat(extended["data"]["deadline"]) == attempt.deadline_at
    assert (attempt.deadline_at - attempt.started_at).total_seconds() == test.time_limit_minutes * 60 * 1.5


async def test_operator_commands_in_their_own_processes(cluster: Cluster) -> None:
    test, _, live, assessment_id = await candidate_on_worker_2(cluster)

    connections = await cluster.manage("connections", "--json")
    assert connections.returncode == 0, connections.stderr
    summary = json.loads(connections.stdout)
    assert summary["total"] == 1
    assert summary["per_worker"][0]["worker"].endswith(f":{cluster.w2.pid}")
    assert summary["per_test"] == [{"test_id": test.pk, "title": test.title, "connections": 1}]

    extend = await cluster.manage("extend_attempt", str(assessment_id), "3")
    assert extend.returncode == 0, extend.stderr
    (extended,) = await live.expect("time_extended")
    assert extended["data"]["time_remaining_seconds"] > test.time_limit_minutes * 60

    refused = await cluster.manage("reset_attempt", str(assessment_id))
    assert refused.returncode == 1
    assert "--yes" in refused.stderr
    reset = await cluster.manage("reset_attempt", str(assessment_id), "--yes")
    assert reset.returncode == 0, reset.stderr
    (completed,) = await live.expect("assessment_completed")
    assert completed["data"]["status"] == "terminated"
    assert not await db(Assessment.objects.filter(pk=assessment_id).exists)()

    # The attempt was given back: a new one starts on the same connection.
    await live.send("start_assessment", id="again")
    started, _ = await live.expect("assessment_started", "question")
    assert started["data"]["attempt"] == 1
    assert started["data"]["assessment_id"] != assessment_id

    missing = await cluster.manage("extend_attempt", "999999", "3")
    assert missing.returncode == 1
    assert "Assessment 999999 does not exist." in missing.stderr
    assert cluster.tracebacks() == []


def password_for_the_workers(candidate: Any) -> None:
    """The workers run the production hashers; this test process hashes with MD5 (test settings)."""
    candidate.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt(), iterations=1000)
    candidate.save(update_fields=["password"])


async def test_the_scripted_candidate_runs_a_whole_attempt(cluster: Cluster) -> None:
    test, candidate = await db(candidate_with_test)()
    await db(password_for_the_workers)(candidate)

    result = await cluster.manage(
        "assessment_client",
        "--url",
        cluster.w1.ws_url(attempt_path(test)),
        "--username",
        candidate.username,
        "--password",
        PASSWORD,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    received = [json.loads(line[2:]) for line in result.stdout.splitlines() if line.startswith("← ")]
    types = [m["type"] for m in received]
    assert types[:3] == ["auth_success", "assessment_started", "question"]
    assert types[-1] == "assessment_completed"
    assert types.count("question") == test.total_questions
    assert "completed after 3 answer(s)" in result.stdout
    assert "eyJ" not in result.stdout  # no JWT is ever printed
    attempt = await db(Assessment.objects.get)(test=test, candidate=candidate)
    assert (attempt.status, attempt.max_score) == ("completed", 3)

    again = await cluster.manage(
        "assessment_client",
        "--url",
        cluster.w2.ws_url(attempt_path(test)),
        "--username",
        candidate.username,
        "--password",
        PASSWORD,
    )
    assert again.returncode == 1
    assert "attempts_exhausted" in again.stderr
    wrong = await cluster.manage(
        "assessment_client", "--url", cluster.w2.ws_url(attempt_path(test)), "--username", "x", "--password", "y"
    )
    assert wrong.returncode == 1
    assert "Sign-in refused" in wrong.stderr
