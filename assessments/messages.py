"""The messages the server sends, in code: the domain's outbound contract.

The event log stores them and the services build them; `realtime` only delivers them.
docs/PROTOCOL.md describes the same thing in prose. Every message has one typed model;
undeclared fields are refused (`extra="forbid"`).
"""

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assessments import clock


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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuestionSnapshot(Strict):
    question_id: int
    position: int
    total: int
    prompt: str
    options: list[str]
    skill: str
    difficulty: str
    time_remaining_seconds: int
    # "multiple": several options are correct, answered with `selected_options`; `scoring` then says
    # how the test scores it ("all_or_nothing" or "partial").
    kind: str = "single"
    scoring: str | None = None


# A score: a whole number, or with partial credit a number to two decimals (`models.score_number`).
Score = int | float


class AssessmentSnapshot(Strict):
    assessment_id: int
    test_id: int
    status: str
    attempt: int
    answered: int
    total: int
    deadline: datetime
    time_remaining_seconds: int
    # The whole attempt's time, so a page that reloads knows how far into it the clock is.
    time_limit_seconds: int
    current_question: QuestionSnapshot | None
    last_seq: int
    result: dict[str, Any] | None = None
    # While the attempt runs: the test's announcements since it began, and the tutor chat so far.
    announcements: list["Announcement"] = Field(default_factory=list)
    chat: list["ChatEntry"] = Field(default_factory=list)
    # The score so far, as `progress_update` gives it: absent when the feedback mode is `none`.
    score: Score | None = None


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
    correct: bool | None = None  # full credit
    credit: float | None = None  # a multiple question's share earned, 0 to 1
    correct_option: int | None = None
    correct_options: list[int] | None = None  # a multiple question's key, as served
    explanation: str | None = None


class ProgressUpdate(Strict):
    answered: int
    total: int
    percentage_complete: float
    time_remaining_seconds: int
    score: Score | None = None


class AssessmentCompleted(Strict):
    assessment_id: int
    status: str
    reason: str
    score: Score | None = None
    max_score: int | None = None
    percentage_score: float | None = None
    passed: bool | None = None
    pass_percentage: float | None = None


class TimeWarning(Strict):
    seconds_left: int


class TimeExtended(Strict):
    deadline: datetime
    time_remaining_seconds: int
    server_time: datetime
    # Time given back for a lost connection (`services.disconnect_credits`) only: the seconds given now,
    # all given to the attempt so far, and why. A recruiter's extension leaves them out.
    seconds: int | None = None
    total_credited_seconds: int | None = None
    reason: Literal["disconnected"] | None = None


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
        "timestamp": clock.now().isoformat(),
    }
    if seq is not None:
        envelope["seq"] = seq
    if ref is not None:
        envelope["ref"] = ref
    return envelope


# Messages whose optional fields are left out, not sent as null, when the feedback mode withholds them.
_OPTIONAL_FIELDS_OMITTED = {
    "question",
    "answer_feedback",
    "progress_update",
    "assessment_completed",
    "time_extended",
    "error",
}


def error_message(code: str, message: str, *, ref: str | None = None, retry_after: int | None = None) -> dict[str, Any]:
    return server_message("error", Error(code=code, message=message, retry_after=retry_after), ref=ref)
