from typing import Any


class ApplicationError(Exception):
    """The one domain error. `code` is stable and machine-readable; `message` is for people."""

    def __init__(self, code: str, message: str, *, status: int = 400, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra or {}
