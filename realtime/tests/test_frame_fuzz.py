"""A frame fuzzer through the real router: random and mutated JSON, binary frames, sizes around the
limit, odd encodings (NUL, lone surrogates, non-ASCII) and numbers far outside every column's range,
before and after authentication, in and out of a running attempt. Every frame gets a documented
reply (a server message type of the protocol; an `error` with a documented code, never
`internal_error`) or a documented close, and nothing is logged as an error.

After each fuzzed frame a probe (a heartbeat, or the auth before authentication) is sent, and the
replies up to the probe's answer are the frame's; the socket must still answer the probe unless it
was closed with a documented code. CI runs a fixed set of examples (derandomized); locally each run
explores new ones. JATAYU_FUZZ_EXAMPLES sets how many.
"""

import json
import logging
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments import messages as msg
from assessments.tests.factories import enrolled_candidate, published_test_with_bank
from realtime import protocol as p
from testsupport.sockets import Client, db
from testsupport.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = int(os.environ.get("JATAYU_FUZZ_EXAMPLES", "400"))
DOCUMENTED_CODES = {str(code) for code in msg.ErrorCode} - {msg.ErrorCode.INTERNAL_ERROR}
DOCUMENTED_CLOSES = {int(code) for code in p.CloseCode}
FIELD_NAMES = sorted({name for model in p.CLIENT_MESSAGES.values() for name in model.model_fields} | {"extra"})
MESSAGE_TYPES = [*p.CLIENT_MESSAGES, "AUTH", "Submit_Answer", "nope", "", "x" * 60]

# ---------------------------------------------------------------- frames

odd_strings = st.sampled_from(["", "\x00", "a\x00b", "\ud800", "\udfff x", "é", "💥" * 40, "\u2028", "\\", '"'])
texts = st.text(max_size=40) | st.text(st.characters(exclude_categories=()), max_size=10) | odd_strings
numbers = (
    st.integers()
    | st.sampled_from([0, -1, 1, p.INT_MAX, p.INT_MAX + 1, -p.INT_MAX - 1, 2**63, 10**31, -(10**31)])
    | st.floats(allow_nan=True, allow_infinity=True)
)
scalars = st.none() | st.booleans() | numbers | texts
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4), max_leaves=12
)
message_data = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=4) | json_values
shaped = st.fixed_dictionaries(
    {"type": st.sampled_from(MESSAGE_TYPES) | json_values},
    optional={"data": message_data, "id": texts | json_values},
)


def encoded(value: Any, ascii_only: bool) -> str:
    """JSON text as a browser could send it: a lone surrogate can only travel escaped (UTF-8 has none)."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, ensure_ascii=True)
    return text


def mutated(text: str, edits: list[tuple[int, int, str]]) -> str:
    for where, kind, char in edits:
        at = where % (len(text) + 1)
        text = (text[:at] + text[at + 1 :], text[:at] + char + text[at:], text[:at])[kind % 3]
    return text


json_frames = st.builds(encoded, shaped | json_values, st.booleans())
mutated_frames = st.builds(
    mutated,
    json_frames,
    st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 2), st.characters(exclude_categories=["Cs"])), max_size=4
    ),
)
sized_frames = st.builds(
    lambda size, kind: json.dumps({"type": kind, "data": {"message": "x" * size}}),
    st.sampled_from([1999, 2000, 2001, 65_400, 65_536, 70_000]),
    st.sampled_from(["chat_message", "auth", "heartbeat"]),
)
text_frames = json_frames | mutated_frames | sized_frames | st.text(max_size=200)
frames = text_frames.map(lambda text: ("text", text)) | st.binary(max_size=200).map(lambda data: ("bytes", data))

# ---------------------------------------------------------------- oracle


def check_documented(message: dict[str, Any]) -> None:
    assert message.get("type") in msg.SERVER_MESSAGES, message
    if message["type"] == "error":
        assert message["data"]["code"] in DOCUMENTED_CODES, message


async def replies_until(client: Client, answered: Any) -> tuple[list[dict[str, Any]], int | None]:
    """Every message up to the one `answered` accepts, or up to a close: (messages, close code)."""
    seen: list[dict[str, Any]] = []
    while True:
        output = await client.ws.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            assert output.get("code") in DOCUMENTED_CLOSES, (output, seen)
            return seen, output["code"]
        message = json.loads(output["text"])
        check_documented(message)
        seen.append(message)
        if answered(message):
            return seen, None


def closing_errors_match(seen: list[dict[str, Any]], code: int) -> None:
    """A close that an error announced carries that error's documented close code."""
    errors = [m["data"]["code"] for m in seen if m["type"] == "error"]
    expected = {int(p.CLOSING_ERRORS[e]) for e in errors if e in p.CLOSING_ERRORS}
    if expected:
        assert code in expected, (code, seen)


@pytest.fixture
def published():
    return published_test_with_bank(questions=6, total_questions=3)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("CI", "").lower() == "true",
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(before_auth=st.lists(frames, max_size=2), after_auth=st.lists(frames, max_size=5), start=st.booleans())
async def test_every_frame_gets_a_documented_reply_or_close(published, caplog, before_auth, after_auth, start):
    caplog.clear()
    user = await db(enrolled_candidate)(test=published)
    client = Client(f"/ws/assessment/{published.pk}/")
    try:
        await client.connect()
        for frame in before_auth:
            await send(client, frame)
            seen, closed = await replies_until(client, lambda m: m["type"] in {"auth_success", "error"})
            if closed is not None:
                closing_errors_match(seen, closed)
                return
            assert seen[-1]["type"] == "error", seen  # nothing before auth is served
        await client.send("auth", {"token": token_for(user)})
        seen, closed = await replies_until(client, lambda m: m["type"] == "auth_success")
        if closed is not None:  # the fuzzed frames themselves ended it (auth_required, auth_failed, ...)
            closing_errors_match(seen, closed)
            return
        if start:
            await client.send("start_assessment", id="start")
            await replies_until(client, lambda m: m["type"] == "question")
        for index, frame in enumerate(after_auth):
            await send(client, frame)
            probe = f"probe-{index}"
            await client.send("heartbeat", id=probe)
            seen, closed = await replies_until(client, lambda m, probe=probe: m.get("ref") == probe)
            if closed is not None:
                closing_errors_match(seen, closed)
                return
    finally:
        await client.ws.disconnect()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []


async def send(client: Client, frame: tuple[str, Any]) -> None:
    """As daphne hands a frame over (empty ones too, which WebsocketCommunicator.send_to refuses)."""
    kind, payload = frame
    await client.ws.send_input({"type": "websocket.receive", kind: payload})
