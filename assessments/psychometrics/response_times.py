"""Response-time and response-pattern signals. Privacy-light (no camera, nothing from the device): the
time from a question's being sent to its answer arriving, as the server measures it, minus the
connection's round trip; and the pattern of right and wrong answers against the items' 2PL model. Both are
signals for a recruiter to look closer at, never used to score.

Rapid guess (normative threshold, NT10): a response faster than RAPID_FRACTION of the item's median
response time. The threshold is bounded: under RAPID_FLOOR_SECONDS is always rapid (nobody reads and
answers a question that fast), and it is never above RAPID_CEILING_SECONDS (a long item's tenth is
still a considered answer).

Person fit (lz, Drasgow, Levine and Williams 1985): the standardized log-likelihood of the answers given
θ̂ and the item difficulties. Near 0 for an ordinary pattern; strongly negative when a candidate misses
easy items and gets hard ones right (guessing, or knowing some answers in advance). Flagged below LZ_CUTOFF.
"""

import math
from collections.abc import Iterable

RAPID_FRACTION = 0.10
RAPID_FLOOR_SECONDS = 1.5
RAPID_CEILING_SECONDS = 10.0
LZ_CUTOFF = -1.96
LZ_MIN_ITEMS = 5


# The most of a reported round trip taken off: the client reports it, and one slow pong must not make
# the next answers look rapid.
MAX_ROUND_TRIP_MS = 2000


def response_seconds(*, sent_to_received_ms: int, round_trip_ms: int | None) -> float:
    """The candidate's time on a question: the server's measure less the network's round trip (at
    most MAX_ROUND_TRIP_MS of it)."""
    return max(0.0, (sent_to_received_ms - min(round_trip_ms or 0, MAX_ROUND_TRIP_MS)) / 1000.0)


def effortful(*, seconds: float | None) -> bool:
    """Whether an answer counts in its item's calibration: not one faster than anyone reads (under
    RAPID_FLOOR_SECONDS), which says nothing about the item (effort-moderated calibration). An answer
    without a time counts."""
    return seconds is None or seconds >= RAPID_FLOOR_SECONDS


# Response-time effort (Wise and Kong 2005): the share of an attempt's answers that are effortful. In
# an attempt under MIN_RESPONSE_TIME_EFFORT too many answers were not read, so none of its answers
# calibrate items (motivation filtering): its θ̂, which pairs with the rest of its answers, is not a
# measure either.
MIN_RESPONSE_TIME_EFFORT = 0.9


def effortful_attempt(*, seconds: Iterable[float | None]) -> bool:
    """Whether an attempt's answers, with these times (None: not timed, which counts), calibrate items."""
    times = list(seconds)
    return not times or sum(effortful(seconds=s) for s in times) >= MIN_RESPONSE_TIME_EFFORT * len(times)


def rapid_threshold(*, median_seconds: float | None) -> float:
    if median_seconds is None:
        return RAPID_FLOOR_SECONDS
    return min(RAPID_CEILING_SECONDS, max(RAPID_FLOOR_SECONDS, RAPID_FRACTION * median_seconds))


def rapid_guess(*, seconds: float, median_seconds: float | None) -> bool:
    return seconds < rapid_threshold(median_seconds=median_seconds)


def person_fit_lz(
    *, theta: float, responses: Iterable[tuple[float, float] | tuple[float, float, float]]
) -> float | None:
    """lz of (difficulty, credit[, discrimination]) responses at θ under the 2PL (a discrimination left
    out is 1, Rasch); None with fewer than LZ_MIN_ITEMS (too few to judge)."""
    l0 = expected = variance = 0.0
    count = 0
    for response in responses:
        difficulty, credit = response[0], response[1]
        a = response[2] if len(response) == 3 else 1.0
        p = min(max(1.0 / (1.0 + math.exp(-a * (theta - difficulty))), 1e-9), 1 - 1e-9)
        log_odds = math.log(p / (1.0 - p))
        l0 += credit * math.log(p) + (1.0 - credit) * math.log(1.0 - p)
        expected += p * math.log(p) + (1.0 - p) * math.log(1.0 - p)
        variance += p * (1.0 - p) * log_odds * log_odds
        count += 1
    if count < LZ_MIN_ITEMS or variance <= 0.0:
        return None
    return (l0 - expected) / math.sqrt(variance)


def misfits(lz: float | None) -> bool:
    return lz is not None and lz < LZ_CUTOFF
