"""Daphne runs with the flags the Dockerfile and `make run` give it: a frame over 128 KiB ends the
socket before the application sees it (autobahn fails it with 1009; the close frame may be lost to a
TCP reset, since the client is still sending); one between 64 and 128 KiB gets `message_too_large`
and the socket stays open."""

import json
import re
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from websockets.exceptions import ConnectionClosed

from jatayu.serving import DAPHNE_FLAGS
from testsupport.live import Cluster
from testsupport.live_data import attempt_path, candidate_with_test
from testsupport.tokens import token_for

pytestmark = pytest.mark.cluster(count=1)

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.live
async def test_an_oversized_frame_closes_1009_and_a_large_one_is_refused_in_band(cluster: Cluster) -> None:
    test, user = await database_sync_to_async(candidate_with_test)()
    live = await cluster.connect(cluster.w1, attempt_path(test))
    await live.auth(token_for(user))

    await live.ws.send(json.dumps({"type": "chat_message", "data": {"message": "x" * (100 * 1024)}}))
    await live.expect_error("message_too_large")
    await live.send("heartbeat", id="still")
    await live.expect("pong")

    await live.ws.send(json.dumps({"type": "chat_message", "data": {"message": "x" * (200 * 1024)}}))
    with pytest.raises(ConnectionClosed) as ended:
        await live.recv()  # never message_too_large: the application is not handed the frame
    assert ended.value.rcvd is None or ended.value.rcvd.code == 1009, ended.value

    other = await cluster.connect(cluster.w1, attempt_path(test))
    await other.auth(token_for(user))  # the worker is fine


def test_the_dockerfile_and_make_run_give_daphne_the_same_flags_as_the_live_tests() -> None:
    flags = " ".join(DAPHNE_FLAGS)
    makefile = (REPO / "Makefile").read_text()
    assert f"DAPHNE_FLAGS := {flags}" in makefile
    assert "$(DAPHNE_FLAGS) jatayu.asgi:application" in makefile
    cmd = re.search(r"^CMD \[(.*?)\]", (REPO / "Dockerfile").read_text(), re.S | re.M)
    assert cmd is not None
    assert flags in " ".join(json.loads(f"[{cmd.group(1).replace(chr(92), '')}]"))


def test_nginx_never_logs_the_query_string() -> None:
    conf = (REPO / "deploy" / "nginx.conf").read_text()
    assert re.search(r"access_log /dev/stdout jatayu;", conf)
    log_format = re.search(r"log_format jatayu (.*?);", conf, re.S)
    assert log_format is not None
    assert "$request_uri" not in log_format.group(1)
    assert "$args" not in log_format.group(1)
    assert "$request " not in log_format.group(1)
    assert '$request"' not in log_format.group(1)
