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


@pytest.fixture
def clock_advance(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """`clock_advance(seconds)`: from now on the time every deadline and session record reads
    (`assessments.clock.now`) is `seconds` further on, as if that long had passed; it adds up."""
    real_now = clock.now
    ahead = [0.0]

    def advance(seconds: float) -> None:
        ahead[0] += seconds
        shift = timedelta(seconds=ahead[0])
        monkeypatch.setattr(clock, "now", lambda: real_now() + shift)

    return advance
