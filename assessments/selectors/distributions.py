"""Histograms of a test's finished attempts: percentage scores and minutes taken."""

import math
from collections.abc import Iterable
from dataclasses import dataclass

from assessments.models import Test
from assessments.selectors.results import finished_attempts

SCORE_BINS = 10


TIME_BINS = 10


@dataclass(frozen=True)
class Bin:
    label: str
    lower: float
    upper: float
    count: int


def histogram(values: Iterable[float], *, lower: float, upper: float, bins: int, unit: str = "") -> list[Bin]:
    """Equal-width bins over [lower, upper]; the last bin includes `upper`, values outside are clamped."""
    width = (upper - lower) / bins
    counts = [0] * bins
    for value in values:
        index = math.floor((value - lower) / width) if width > 0 else 0
        counts[min(max(index, 0), bins - 1)] += 1

    def fmt(x: float) -> str:
        return f"{x:g}"

    return [
        Bin(
            label=f"{fmt(lower + i * width)}-{fmt(lower + (i + 1) * width)}{unit}",
            lower=lower + i * width,
            upper=lower + (i + 1) * width,
            count=counts[i],
        )
        for i in range(bins)
    ]


def score_distribution(*, test: Test) -> list[Bin]:
    """Percentage scores of the finished attempts in ten bins: 0-10 … 90-100 (100 in the last)."""
    values = finished_attempts(test=test).exclude(percentage_score=None).values_list("percentage_score", flat=True)
    return histogram((float(v) for v in values if v is not None), lower=0, upper=100, bins=SCORE_BINS, unit="%")


def time_distribution(*, test: Test) -> list[Bin]:
    """Minutes taken by the finished attempts, in ten bins of whole minutes up to the longest."""
    spans = finished_attempts(test=test).exclude(ended_at=None).values_list("started_at", "ended_at")
    minutes = [max(0.0, (end - start).total_seconds() / 60) for start, end in spans if end is not None]
    longest = max(minutes, default=0.0)
    width = max(1, math.ceil(longest / TIME_BINS)) if minutes else max(1, math.ceil(test.time_limit_minutes / 10))
    return histogram(minutes, lower=0, upper=width * TIME_BINS, bins=TIME_BINS, unit=" min")
