"""A machine clock that is wrong on purpose, for the tests of deadlines on the database's clock."""

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from assessments import clock


@pytest.fixture
def machine_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[timedelta], None]]:
    """`machine_clock(offset)`: from now on this process's clock is `offset` away from the true time."""
    true_now = timezone.now

    def set_offset(offset: timedelta) -> None:
        monkeypatch.setattr(timezone, "now", lambda: true_now() + offset)

    yield set_offset
    monkeypatch.undo()
    clock.clock_measure()
