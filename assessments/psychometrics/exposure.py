"""Exposure control: no item is shown to more than a test's maximum share of its attempts.

The rule (restricted maximum information, Revuelta and Ponsoda's equivalent of Sympson-Hetter without
its simulation-fitted parameters): an item that, shown to the attempt choosing now, would have been shown
in more than `max_rate` of the attempts (this one counted) is not eligible for it. Selection then takes the best of the eligible items (the
randomesque choice among the few closest stays on top). Until MIN_ATTEMPTS attempts exist every item
is eligible: with three attempts, any item seen twice would otherwise be over a rate of 0.3.
"""

from collections.abc import Iterable, Mapping

DEFAULT_MAX_RATE = 0.3
MIN_ATTEMPTS = 10


def exposure_rate(*, shown: int, attempts: int) -> float:
    return shown / attempts if attempts else 0.0


def exposure_eligible(*, items: Iterable[int], shown: Mapping[int, int], attempts: int, max_rate: float) -> set[int]:
    """The items that may be shown to the attempt choosing now; `attempts` counts it, `shown` the
    attempts each item was shown in before. All of them if the rule would leave none."""
    items = set(items)
    if attempts < MIN_ATTEMPTS or max_rate >= 1.0:
        return items
    eligible = {item for item in items if (shown.get(item, 0) + 1) / attempts <= max_rate}
    return eligible or items
