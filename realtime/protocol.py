"""The client's side of the WebSocket protocol, in code: the frames a client sends, how they are
parsed, and the close codes. What the server sends is the domain's (`assessments.messages`).
docs/PROTOCOL.md describes both in prose.

Every message has one typed model; undeclared fields are refused (`extra="forbid"`).
"""

from enum import IntEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, model_validator

from assessments.messages import ErrorCode, Strict

__all__ = ["ValidationError"]


class CloseCode(IntEnum):
    NORMAL = 1000
    TRY_AGAIN_LATER = 1013
    AUTH_FAILED = 4001
    FORBIDDEN = 4003
    TEST_NOT_FOUND = 4004
    SESSION_REPLACED = 4008
    RATE_LIMITED = 4029


# Errors after which the server closes the connection, and with which code.
CLOSING_ERRORS: dict[str, CloseCode] = {
    ErrorCode.AUTH_REQUIRED: CloseCode.AUTH_FAILED,
    ErrorCode.AUTH_TIMEOUT: CloseCode.AUTH_FAILED,
    ErrorCode.AUTH_FAILED: CloseCode.AUTH_FAILED,
    ErrorCode.TOKEN_EXPIRED: CloseCode.AUTH_FAILED,
    ErrorCode.SESSION_REPLACED: CloseCode.SESSION_REPLACED,
    ErrorCode.TEST_NOT_FOUND: CloseCode.TEST_NOT_FOUND,
    ErrorCode.TEST_NOT_PUBLISHED: CloseCode.FORBIDDEN,
    ErrorCode.TEST_NOT_OPEN: CloseCode.FORBIDDEN,
    ErrorCode.TEST_CLOSED: CloseCode.FORBIDDEN,
    ErrorCode.NOT_ELIGIBLE: CloseCode.FORBIDDEN,
    ErrorCode.ATTEMPTS_EXHAUSTED: CloseCode.FORBIDDEN,
}


# The largest value an integer column holds on every backend (PostgreSQL's integer).
INT_MAX = 2**31 - 1


def _storable(value: str) -> str:
    """Text a database can store as it came: no NUL (PostgreSQL refuses it) and no lone surrogate."""
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must not contain a lone surrogate (\\ud800-\\udfff)") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]
Id = Annotated[int, Field(ge=1, le=INT_MAX)]


# ---------------------------------------------------------------- client → server


class ClientEnvelope(Strict):
    type: Text = Field(min_length=1, max_length=50)
    data: dict[str, Any] = Field(default_factory=dict)
    id: Text | None = Field(default=None, min_length=1, max_length=100)


class AuthData(Strict):
    token: Text = Field(min_length=1, max_length=4096)
    # Sent by a client reconnecting on its own: the epoch its last connection held. If a newer
    # connection is live, this one is refused (4008) instead of taking the session back.
    epoch: int | None = Field(default=None, ge=1, le=INT_MAX)


class EmptyData(Strict):
    pass


# The longest network round trip a client may report, in milliseconds; a slower one is no connection.
MAX_ROUND_TRIP_MS = 10_000


class HeartbeatData(Strict):
    # The round trip the client measured last, from sending a heartbeat to its pong; a whole number
    # (strict: no "12" or 12.5). The answers recorded on this connection carry it.
    rtt_ms: int | None = Field(default=None, ge=0, le=MAX_ROUND_TRIP_MS, strict=True)


class StartAssessmentData(Strict):
    test_id: Id | None = None


Choice = Annotated[int, Field(ge=-INT_MAX, le=INT_MAX)] | Annotated[Text, Field(max_length=2000)]


class SubmitAnswerData(Strict):
    question_id: Id
    # The index of the option as served, or the option's exact text. Out of range → invalid_option.
    # A single question takes `selected_option`; a multiple one `selected_options`, every option chosen.
    # The wrong one for the question (or an empty list, or an option twice) → invalid_option.
    selected_option: Choice | None = None
    selected_options: list[Choice] | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def _one_answer(self) -> "SubmitAnswerData":
        if (self.selected_option is None) == (self.selected_options is None):
            raise ValueError("send selected_option or selected_options, not both or neither")
        return self


class ChatMessageData(Strict):
    message: Text = Field(min_length=1, max_length=2000)
    # The question on the candidate's screen: the open one, or one just answered whose feedback shows.
    question_id: Id | None = None


class ResumeData(Strict):
    last_seq: int = Field(ge=0, le=INT_MAX)


IntegrityKind = Literal["tab_hidden", "tab_visible", "window_blur", "paste", "copy", "fullscreen_exit"]


class IntegrityEventData(Strict):
    kind: IntegrityKind


CLIENT_MESSAGES: dict[str, type[Strict]] = {
    "auth": AuthData,
    "heartbeat": HeartbeatData,
    "start_assessment": StartAssessmentData,
    "get_question": EmptyData,
    "submit_answer": SubmitAnswerData,
    "complete_assessment": EmptyData,
    "chat_message": ChatMessageData,
    "resume": ResumeData,
    "integrity_event": IntegrityEventData,
}


def parse_client_message(raw: Any) -> tuple[str, Strict, str | None]:
    """Validate a decoded client frame: (lower-cased type, typed data, client id).

    Raises `ProtocolError` with the code to answer.
    """
    if not isinstance(raw, dict):
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, "A message must be a JSON object.")
    ref = raw.get("id") if isinstance(raw.get("id"), str) else None
    try:
        ref = ref and _storable(ref)
    except ValueError:
        ref = None
    try:
        envelope = ClientEnvelope.model_validate(raw)
    except ValidationError as exc:
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, _describe(exc), ref=ref) from exc
    message_type = envelope.type.lower()
    model = CLIENT_MESSAGES.get(message_type)
    if model is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"Unknown message type {envelope.type!r}.", ref=envelope.id)
    try:
        data = model.model_validate(envelope.data)
    except ValidationError as exc:
        raise ProtocolError(ErrorCode.VALIDATION_ERROR, _describe(exc), ref=envelope.id) from exc
    return message_type, data, envelope.id


class ProtocolError(Exception):
    def __init__(self, code: str, message: str, *, ref: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "message"
        parts.append(f"{where}: {err['msg']}")
    # A field name may hold a lone surrogate, which no JSON encoder sends.
    return "; ".join(parts).encode("utf-8", "backslashreplace").decode()
