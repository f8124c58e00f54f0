"""Bad input gets an `error` with a stable code and the socket stays open; floods are limited."""

import json

import pytest

from assessments.tests.factories import enrolled_candidate, published_test_with_bank
from testsupport.sockets import db
from testsupport.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def client(ws_clients):
    test = await db(published_test_with_bank)(questions=2, total_questions=2)
    user = await db(enrolled_candidate)(test=test)
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    await client.auth(token_for(user))
    return client


async def still_open(client) -> None:
    await client.send("heartbeat", id="h")
    (pong,) = await client.expect("pong")
    assert pong["ref"] == "h"
    assert "server_time" in pong["data"]


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "invalid_json"),
        ("[" * 60000, "invalid_json"),
        ("[1, 2, 3]", "invalid_message"),
        ('"just a string"', "invalid_message"),
        (json.dumps({"data": {}}), "invalid_message"),
        (json.dumps({"type": "heartbeat", "data": {}, "extra": 1}), "invalid_message"),
        (json.dumps({"type": "heartbeat", "data": []}), "invalid_message"),
        (json.dumps({"type": "teleport", "data": {}}), "unknown_type"),
        (json.dumps({"type": "heartbeat", "data": {"unexpected": True}}), "validation_error"),
        (json.dumps({"type": "chat_message", "data": {"message": ""}}), "validation_error"),
        (json.dumps({"type": "chat_message", "data": {"message": 42}}), "validation_error"),
        (json.dumps({"type": "start_assessment", "data": {"test_id": "nope"}}), "validation_error"),
    ],
)
async def test_malformed_frames_get_a_coded_error_and_the_socket_stays_open(client, frame, code):
    await client.ws.send_to(text_data=frame)
    await client.expect_error(code)
    await still_open(client)


async def test_binary_frame_is_refused_without_closing(client):
    await client.ws.send_to(bytes_data=b"\x00\x01binary")
    await client.expect_error("invalid_message")
    await still_open(client)


async def test_message_over_64_kib_is_refused(client):
    await client.send("chat_message", {"message": "x" * (65 * 1024)})
    await client.expect_error("message_too_large")
    await still_open(client)


async def test_unknown_type_error_echoes_the_client_id(client):
    await client.send("teleport", id="t1")
    error = await client.expect_error("unknown_type")
    assert error["ref"] == "t1"


async def test_start_for_another_test_on_this_connection_is_refused(client):
    await client.send("start_assessment", {"test_id": 999999})
    await client.expect_error("validation_error")
    await still_open(client)


async def test_flood_is_rate_limited_then_closed_4029(client, settings):
    settings.WS_RATE_LIMIT = 5
    for _ in range(12):
        await client.send("heartbeat")
    received = []
    while True:
        output = await client.ws.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            break
        received.append(json.loads(output["text"]))
    assert output["code"] == 4029
    types = [m["type"] for m in received]
    pongs = types.count("pong")
    assert 1 <= pongs <= 5, types  # the auth message counts towards the limit too
    assert types == ["pong"] * pongs + ["error", "error"]
    assert {m["data"]["code"] for m in received[pongs:]} == {"rate_limited"}


@pytest.mark.parametrize(
    "data",
    [
        {"question_id": 10**30, "selected_option": 0},
        {"question_id": 2**31, "selected_option": 0},
        {"question_id": 0, "selected_option": 0},
        {"question_id": 1, "selected_option": 10**30},
        {"question_id": 1, "selected_option": "x\u0000y"},
        {"question_id": 1, "selected_option": "\ud800"},
    ],
)
async def test_answers_out_of_any_column_s_range_or_unstorable_get_validation_error(client, data):
    await client.ws.send_to(text_data=json.dumps({"type": "submit_answer", "data": data, "id": "a"}))
    error = await client.expect_error("validation_error")
    assert error["ref"] == "a"
    await still_open(client)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (json.dumps({"type": "chat_message", "data": {"message": "hello\u0000"}}), "validation_error"),
        (json.dumps({"type": "chat_message", "data": {"message": "half a pair \ud83d"}}), "validation_error"),
        (json.dumps({"type": "resume", "data": {"last_seq": 10**20}}), "validation_error"),
        (json.dumps({"type": "start_assessment", "data": {"test_id": 10**20}}), "validation_error"),
        (json.dumps({"type": "auth", "data": {"token": "abc", "epoch": 10**20}}), "validation_error"),
        (json.dumps({"type": "heartbeat", "data": {"\ud800": 1}}), "validation_error"),
        (json.dumps({"type": "heartbeat\u0000", "data": {}}), "invalid_message"),
    ],
)
async def test_nul_lone_surrogates_and_huge_numbers_anywhere_get_a_coded_error(client, frame, code):
    await client.ws.send_to(text_data=frame)
    await client.expect_error(code)
    await still_open(client)


async def test_an_unstorable_message_id_is_not_echoed_but_the_error_still_comes(client):
    await client.ws.send_to(text_data=json.dumps({"type": "heartbeat", "data": {}, "id": "\ud800"}))
    error = await client.expect_error("invalid_message")
    assert "ref" not in error
    await still_open(client)
