"""Time left until a deadline, in whole seconds, the one way every message and page counts it."""

import math
from datetime import datetime

from django.utils import timezone


def seconds_left(*, deadline: datetime, now: datetime | None = None) -> int:
    """Rounded up, so a candidate is never shown 0 while time remains; never negative."""
    return max(0, math.ceil((deadline - (now or timezone.now())).total_seconds()))
