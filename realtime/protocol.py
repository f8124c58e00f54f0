"""The WebSocket protocol of Jatayu, in code. docs/PROTOCOL.md describes the same thing in prose.

Every message has one typed model; undeclared fields are refused (`extra="forbid"`).
"""

from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Annotated, Any, Literal

from django.utils import timezone
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

__all__ = ["ValidationError"]


class CloseCode(IntEnum):
    NORMAL = 1000
    TRY_AGAIN_LATER = 1013
    AUTH_FAILED = 4001
    FORBIDDEN = 4003
    TEST_NOT_FOUND = 4004
    SESSION_REPLACED = 4008
    RATE_LIMITED = 4029


class ErrorCode(StrEnum):
    # protocol
    INVALID_JSON = "invalid_json"
    INVALID_MESSAGE = "invalid_message"
    MESSAGE_TOO_LARGE = "message_too_large"
    UNKNOWN_TYPE = "unknown_type"
    VALIDATION_ERROR = "validation_error"
    RATE_LIMITED = "rate_limited"
    # authentication (close 4001)
    AUTH_REQUIRED = "auth_required"
    AUTH_TIMEOUT = "auth_timeout"
    AUTH_FAILED = "auth_failed"
    TOKEN_EXPIRED = "token_expired"  # noqa: S105 (an error code, not a secret)
    ALREADY_AUTHENTICATED = "already_authenticated"
    # session
    SESSION_REPLACED = "session_replaced"
    # access (close 4003 / 4004)
    TEST_NOT_FOUND = "test_not_found"
    TEST_NOT_PUBLISHED = "test_not_published"
    TEST_NOT_OPEN = "test_not_open"
    TEST_CLOSED = "test_closed"
    NOT_ELIGIBLE = "not_eligible"
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"
    # assessment
    NO_TEST = "no_test"
    NO_ACTIVE_ASSESSMENT = "no_active_assessment"
    NOT_IN_ASSESSMENT = "not_in_assessment"
    INVALID_OPTION = "invalid_option"
    ASSESSMENT_EXPIRED = "assessment_expired"
    ASSESSMENT_FINISHED = "assessment_finished"
    BANK_EMPTY = "bank_empty"
    CHAT_LIMIT = "chat_limit"
    CHAT_BUSY = "chat_busy"
    ASSESSMENT_IN_PROGRESS = "assessment_in_progress"
    RETRYABLE_ERROR = "retryable_error"
    INTERNAL_ERROR = "internal_error"


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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


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


class StartAssessmentData(Strict):
    test_id: Id | None = None


class SubmitAnswerData(Strict):
    question_id: Id
    # The index of the option as served, or the option's exact text. Out of range → invalid_option.
    selected_option: Annotated[int, Field(ge=-INT_MAX, le=INT_MAX)] | Annotated[Text, Field(max_length=2000)]


class ChatMessageData(Strict):
    message: Text = Field(min_length=1, max_length=2000)


class ResumeData(Strict):
    last_seq: int = Field(ge=0, le=INT_MAX)


IntegrityKind = Literal["tab_hidden", "tab_visible", "window_blur", "paste", "copy", "fullscreen_exit"]


class IntegrityEventData(Strict):
    kind: IntegrityKind


CLIENT_MESSAGES: dict[str, type[Strict]] = {
    "auth": AuthData,
    "heartbeat": EmptyData,
    "start_assessment": StartAssessmentData,
    "get_question": EmptyData,
    "submit_answer": SubmitAnswerData,
    "complete_assessment": EmptyData,
    "chat_message": ChatMessageData,
    "resume": ResumeData,
    "integrity_event": IntegrityEventData,
}

# ---------------------------------------------------------------- server → client


class QuestionSnapshot(Strict):
    question_id: int
    position: int
    total: int
    prompt: str
    options: list[str]
    skill: str
    difficulty: str
    time_remaining_seconds: int


class AssessmentSnapshot(Strict):
    assessment_id: int
    test_id: int
    status: str
    attempt: int
    answered: int
    total: int
    deadline: datetime
    time_remaining_seconds: int
    current_question: QuestionSnapshot | None
    last_seq: int
    result: dict[str, Any] | None = None
    # While the attempt runs: the test's announcements since it began, and the tutor chat so far.
    announcements: list["Announcement"] = Field(default_factory=list)
    chat: list["ChatEntry"] = Field(default_factory=list)


class AuthSuccess(Strict):
    user_id: int
    connection_id: str
    epoch: int
    server_time: datetime
    recovered: bool
    assessment: AssessmentSnapshot | None


class Pong(Strict):
    timestamp: datetime
    server_time: datetime


class Ack(Strict):
    pass


class AssessmentStarted(Strict):
    assessment_id: int
    test_id: int
    attempt: int
    total_questions: int
    time_limit_seconds: int
    deadline: datetime
    server_time: datetime
    feedback_mode: str
    resumed: bool


class AnswerFeedback(Strict):
    question_id: int
    accepted: Literal[True]
    correct: bool | None = None
    correct_option: int | None = None
    explanation: str | None = None


class ProgressUpdate(Strict):
    answered: int
    total: int
    percentage_complete: float
    time_remaining_seconds: int
    score: int | None = None


class AssessmentCompleted(Strict):
    assessment_id: int
    status: str
    reason: str
    score: int | None = None
    max_score: int | None = None
    percentage_score: float | None = None
    passed: bool | None = None


class TimeWarning(Strict):
    seconds_left: int


class TimeExtended(Strict):
    deadline: datetime
    time_remaining_seconds: int
    server_time: datetime


class Announcement(Strict):
    announcement_id: int
    message: str
    sent_at: datetime


class ChatEntry(Strict):
    role: Literal["candidate", "tutor"]
    message: str


class SessionReplaced(Strict):
    pass


class SystemMessage(Strict):
    message: str


class ChatChunk(Strict):
    delta: str


class Error(Strict):
    code: str
    message: str
    retry_after: int | None = None  # seconds; only on a connection refused as rate_limited


SERVER_MESSAGES: dict[str, type[Strict]] = {
    "auth_success": AuthSuccess,
    "pong": Pong,
    "ack": Ack,
    "assessment_started": AssessmentStarted,
    "question": QuestionSnapshot,
    "answer_feedback": AnswerFeedback,
    "progress_update": ProgressUpdate,
    "assessment_completed": AssessmentCompleted,
    "time_warning": TimeWarning,
    "time_extended": TimeExtended,
    "announcement": Announcement,
    "session_replaced": SessionReplaced,
    "system_message": SystemMessage,
    "chat_chunk": ChatChunk,
    "error": Error,
}


def server_message(
    message_type: str, data: Strict, *, seq: int | None = None, ref: str | None = None
) -> dict[str, Any]:
    """The JSON-ready envelope of one server message. `data` must be the model of `message_type`."""
    expected = SERVER_MESSAGES[message_type]
    if not isinstance(data, expected):
        raise TypeError(f"{message_type} carries {expected.__name__}, not {type(data).__name__}")
    envelope: dict[str, Any] = {
        "type": message_type,
        "data": data.model_dump(mode="json", exclude_none=message_type in _OPTIONAL_FIELDS_OMITTED),
        "timestamp": timezone.now().isoformat(),
    }
    if seq is not None:
        envelope["seq"] = seq
    if ref is not None:
        envelope["ref"] = ref
    return envelope


# Messages whose optional fields are left out, not sent as null, when the feedback mode withholds them.
_OPTIONAL_FIELDS_OMITTED = {"answer_feedback", "progress_update", "assessment_completed", "error"}


def error_message(code: str, message: str, *, ref: str | None = None, retry_after: int | None = None) -> dict[str, Any]:
    return server_message("error", Error(code=code, message=message, retry_after=retry_after), ref=ref)


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
