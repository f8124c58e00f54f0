"""The SQL statements an action runs, for the tests that pin statement budgets."""

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import clock

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def statements(action: Callable[[], Any]) -> tuple[Any, list[str]]:
    """What `action` returned, and the statements it ran (not counting transaction control). The
    database clock is measured first, as a worker's first database call or liveness round does."""
    clock.now()
    with CaptureQueriesContext(connection) as captured:
        result = action()
    return result, [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]
