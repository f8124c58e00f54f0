from enum import StrEnum
from typing import Any


class ApplicationError(Exception):
    """The one domain error. `code` is stable and machine-readable; `message` is for people."""

    def __init__(self, code: str, message: str, *, status: int = 400, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra or {}


class BackOfficeCode(StrEnum):
    """The codes only the API and the admin answer with; a socket's are `messages.ErrorCode`."""

    ASSESSMENT_NOT_FOUND = "assessment_not_found"
    BANK_TOO_SMALL = "bank_too_small"
    EMPTY_ANNOUNCEMENT = "empty_announcement"
    IMPORT_INVALID = "import_invalid"
    INVALID_ACTION = "invalid_action"
    INVALID_KEY = "invalid_key"
    INVALID_MINUTES = "invalid_minutes"
    INVALID_STATUS = "invalid_status"
    LINK_EXPIRED = "link_expired"
    LINK_INVALID = "link_invalid"
    LINK_USED = "link_used"
    NO_SKILLS = "no_skills"
    NOT_FOUND = "not_found"
    NOT_LATEST_ATTEMPT = "not_latest_attempt"
    QUESTION_LOCKED = "question_locked"
    QUESTION_VOID = "question_void"
    REASON_REQUIRED = "reason_required"
    SAME_KEY = "same_key"
    SKILL_HAS_QUESTIONS = "skill_has_questions"
    SKILL_WITHOUT_QUESTIONS = "skill_without_questions"
    TEST_ARCHIVED = "test_archived"
    TEST_HAS_ATTEMPTS = "test_has_attempts"
    TOKEN_REVOKED = "token_revoked"  # noqa: S105 (an error code, not a secret)
    USER_INACTIVE = "user_inactive"
    USER_IS_RECRUITER = "user_is_recruiter"
    USER_NOT_FOUND = "user_not_found"
