"""PostgreSQL restarted under two live daphne workers, on a PostgreSQL of the test's own
(`faults.OwnPostgres`): an answer caught in the restart (it waits on a row lock when the server goes
down) is answered `retryable_error` and not stored; sent again with the same id once the server is
back, it is stored exactly once, and a third send replays it without storing it again. Nothing
acknowledged is lost, no socket closes with 1011, and both workers serve again by themselves."""

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from assessments.models import Assessment, Response
from testsupport.faults import OwnPostgres
from testsupport.live import BIN, COMMAND_TIMEOUT, REPO_ROOT, Cluster, LiveSocket, live_cluster, live_env

pytestmark = pytest.mark.live

BACK_WITHIN = 20.0  # seconds the workers may take to serve again after the server is back

SEED = """
import json
from rest_framework_simplejwt.tokens import AccessToken
from assessments.tests.factories import enrolled_candidate, published_test_with_bank
test = published_test_with_bank(questions=6, total_questions=3)
user = enrolled_candidate(test=test)
print(json.dumps({"test": test.pk, "user": user.pk, "token": str(AccessToken.for_user(user))}))
"""


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our interpreter and manage.py
        [str(BIN / "python"), "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT * 2,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
async def restartable(transactional_db: None, tmp_path: Path) -> AsyncIterator[tuple[Cluster, OwnPostgres, Any]]:
    postgres = OwnPostgres()
    await asyncio.to_thread(postgres.start)
    try:
        with psycopg.connect(postgres.url(), autocommit=True) as admin:
            admin.execute("CREATE DATABASE jatayu")
        env = live_env(DATABASE_URL=postgres.url("jatayu"))
        await asyncio.to_thread(manage, env, "migrate", "--noinput")
        seeded = json.loads((await asyncio.to_thread(manage, env, "shell", "-c", SEED)).strip().splitlines()[-1])
        async with live_cluster(tmp_path, env_overrides={"DATABASE_URL": postgres.url("jatayu")}) as cluster:
            yield cluster, postgres, seeded
    finally:
        await asyncio.to_thread(postgres.stop)


def answered_rows(postgres: OwnPostgres, *, user_id: int) -> list[tuple[int, str | None]]:
    sql = (
        f"SELECT r.question_id, r.client_msg_id FROM {Response._meta.db_table} r "  # noqa: S608
        f"JOIN {Assessment._meta.db_table} a ON a.id = r.assessment_id "
        "WHERE a.candidate_id = %s AND r.answered_at IS NOT NULL ORDER BY r.position"
    )
    with psycopg.connect(postgres.url("jatayu")) as conn:
        return [(row[0], row[1]) for row in conn.execute(sql, [user_id]).fetchall()]


async def answer_until_stored(live: LiveSocket, question_id: int, ref: str) -> list[dict[str, Any]]:
    """Send the answer again with the same id while the reply is retryable_error."""
    deadline = asyncio.get_running_loop().time() + BACK_WITHIN
    while True:
        await live.send("submit_answer", {"question_id": question_id, "selected_option": 0}, id=ref)
        first = await live.recv(within=15)
        if first["type"] != "error":
            assert first["type"] == "answer_feedback", first
            assert first["ref"] == ref, first
            return [first, *await live.expect("progress_update", "question")]
        assert first["data"]["code"] == "retryable_error", first
        assert asyncio.get_running_loop().time() < deadline, "the worker did not serve again after the restart"
        await asyncio.sleep(0.5)


async def test_an_answer_caught_in_a_restart_is_retryable_and_stored_once_on_retry(restartable) -> None:
    cluster, postgres, seeded = restartable
    path = f"/ws/assessment/{seeded['test']}/"
    live = await cluster.connect(cluster.w1, path)
    await live.auth(seeded["token"])
    await live.send("start_assessment", id="start")
    _started, first = await live.expect("assessment_started", "question")
    _feedback, _progress, second = await live.answer(first["data"]["question_id"], 0, id="a1")

    # Hold the attempt's row lock, so the next answer waits inside its transaction when the server goes down.
    blocker = await psycopg.AsyncConnection.connect(postgres.url("jatayu"))
    lock = f"SELECT id FROM {Assessment._meta.db_table} WHERE candidate_id = %s FOR UPDATE"  # noqa: S608
    await blocker.execute(lock, [seeded["user"]])
    await live.send("submit_answer", {"question_id": second["data"]["question_id"], "selected_option": 0}, id="a2")
    await live.nothing(within=0.5)  # waiting on the lock
    await asyncio.to_thread(postgres.restart)
    caught = await live.recv(within=15)
    assert caught["type"] == "error", caught
    assert caught["data"]["code"] == "retryable_error", caught
    assert caught["ref"] == "a2"
    await blocker.close()
    assert answered_rows(postgres, user_id=seeded["user"]) == [(first["data"]["question_id"], "a1")]

    feedback, _progress, _third = await answer_until_stored(live, second["data"]["question_id"], "a2")
    await live.send("submit_answer", {"question_id": second["data"]["question_id"], "selected_option": 0}, id="a2")
    replayed, _progress, _question = await live.expect("answer_feedback", "progress_update", "question")
    assert replayed["data"] == feedback["data"]
    expected = [(first["data"]["question_id"], "a1"), (second["data"]["question_id"], "a2")]
    assert answered_rows(postgres, user_id=seeded["user"]) == expected

    # The other worker serves too: the candidate moves there and resumes where it stopped.
    moved = await cluster.connect(cluster.w2, path)
    hello = await moved.auth(seeded["token"])
    assert hello["data"]["recovered"] is True
    assert hello["data"]["assessment"]["answered"] == 2
    # The first socket stayed open through the restart (never 1011): it is closed by the takeover.
    await live.expect("session_replaced")
    await live.expect_error("session_replaced")
    await live.expect_close(4008)
