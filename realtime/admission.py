"""How many new connections a user, and a client address, may open in a minute.

Each authentication counts one for its user and one for its client address (scope["client"], which
daphne's --proxy-headers sets from nginx). The counters are incremented in the same Redis round trip
that joins the connection's groups, so every worker counts together at no extra cost; without Redis
(one process, the in-memory layer) the process counts. Over a limit the socket is refused with
`rate_limited`, its `retry_after` the seconds until the minute's window ends, and closed 4029.
"""

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Counted:
    """The counters of one connection in the current window, and their limits (0: none)."""

    keys: tuple[str, ...]
    limits: tuple[int, ...]
    window_ends: float

    def retry_after(self, counts: Sequence[int]) -> int | None:
        """Seconds until the connection would be admitted, or None when it is admitted now."""
        if any(limit and count > limit for count, limit in zip(counts, self.limits, strict=True)):
            return max(1, math.ceil(self.window_ends - time.time()))
        return None


def connection_counted(*, user_id: int, address: str | None) -> Counted:
    """This connection's counters; a cap set to 0 counts nothing (no key is written)."""
    window = int(time.time() // WINDOW_SECONDS)
    keys, limits = [], []
    if settings.WS_CONNECTS_PER_USER:
        keys.append(f"jatayu:connects:user:{user_id}:{window}")
        limits.append(settings.WS_CONNECTS_PER_USER)
    if address and settings.WS_CONNECTS_PER_ADDRESS:
        keys.append(f"jatayu:connects:address:{address}:{window}")
        limits.append(settings.WS_CONNECTS_PER_ADDRESS)
    return Counted(keys=tuple(keys), limits=tuple(limits), window_ends=(window + 1) * WINDOW_SECONDS)
