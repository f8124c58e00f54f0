"""A worker's liveness round measures its clock's offset from the database's again, so a machine clock
that drifts after start-up does not move the deadlines that worker reads."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments import clock
from realtime.liveness import worker_liveness

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


async def test_every_liveness_round_measures_the_clock_again(machine_clock) -> None:
    machine_clock(timedelta(minutes=3))

    await worker_liveness.touch_round()

    # The machine is three minutes fast: the measured offset takes them off again.
    assert abs(clock.now() - timezone.now() + timedelta(minutes=3)) < timedelta(seconds=1)
