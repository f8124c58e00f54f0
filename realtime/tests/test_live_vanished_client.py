"""A client whose network vanishes without a close frame (`faults.SilentLink` drops every byte and
closes nothing): daphne's pings, with the production flags of jatayu/serving.py that the README
states, find it within 60 s; its session is released, and nothing it had acknowledged is lost. The
candidate then reconnects and resumes where it stopped."""

import asyncio
import time
from urllib.parse import quote

import pytest
from channels.db import database_sync_to_async
from websockets.asyncio.client import connect

from assessments.models import CandidateSession, Response
from assessments.services.sessions import connection_id_for
from testsupport.faults import SilentLink
from testsupport.live import Cluster, LiveSocket
from testsupport.live_data import attempt_path, candidate_with_test
from testsupport.tokens import token_for

pytestmark = [pytest.mark.live, pytest.mark.cluster(count=1)]
db = database_sync_to_async

FOUND_WITHIN = 60.0


def released_at(*, key: str) -> object:
    return CandidateSession.objects.values_list("disconnected_at", flat=True).get(key=key)


async def test_a_vanished_client_is_found_by_pings_and_its_session_released(cluster: Cluster) -> None:
    test, candidate = await db(candidate_with_test)(total_questions=3)
    token = token_for(candidate)
    link = SilentLink(upstream_port=cluster.w1.port)
    await link.start()
    try:
        # The client does not ping either: only the server's pings can find the silence.
        url = f"ws://127.0.0.1:{link.port}{attempt_path(test)}?token={quote(token, safe='')}"
        ws = await connect(url, proxy=None, ping_interval=None, close_timeout=1, compression=None)
        vanishing = LiveSocket(ws, cluster.w1)
        await vanishing.expect("auth_success")
        await vanishing.send("start_assessment", id="start")
        _started, question = await vanishing.expect("assessment_started", "question")
        feedback, _progress, _next = await vanishing.answer(question["data"]["question_id"], 0, id="a1")
        assert feedback["ref"] == "a1"

        link.cut()
        cut_at = time.monotonic()
        key = connection_id_for(user_id=candidate.pk, test_id=test.pk)
        while await db(released_at)(key=key) is None:
            assert time.monotonic() - cut_at < FOUND_WITHIN, "the silent client still holds its session"
            await asyncio.sleep(0.5)
        found_after = time.monotonic() - cut_at
        print(f"the vanished client was found {found_after:.1f} s after its network went silent")
    finally:
        await link.stop()

    answered = Response.objects.filter(assessment__candidate=candidate, answered_at__isnull=False)
    stored = await db(lambda: list(answered.values_list("question_id", "client_msg_id")))()
    assert stored == [(question["data"]["question_id"], "a1")]

    back = await cluster.connect(cluster.w1, attempt_path(test))
    hello = await back.auth(token)
    assert hello["data"]["recovered"] is True
    assert hello["data"]["assessment"]["answered"] == 1
    assert cluster.tracebacks() == []
