"""Ability estimates under the Rasch model: P(correct) = 1 / (1 + exp(-(θ - b))).

θ is the expected a-posteriori (EAP) estimate under a standard normal prior, computed on a grid;
its standard error is the posterior standard deviation.
"""

import functools
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from assessments.models import Difficulty

# Logit difficulties until items are calibrated.
DIFFICULTY_LOGIT: dict[str, float] = {Difficulty.EASY: -1.0, Difficulty.MEDIUM: 0.0, Difficulty.HARD: 1.0}
GRID = [i / 10 for i in range(-40, 41)]
LOG_PRIOR = [-(t * t) / 2 for t in GRID]


@dataclass(frozen=True)
class Ability:
    theta: float
    se: float
    asked: int
    correct: int

    def as_dict(self) -> dict[str, float | int]:
        # + 0.0 turns a rounded -0.0 into 0.0, which is what a reader expects to see.
        theta, se = round(self.theta, 3) + 0.0, round(self.se, 3) + 0.0
        return {"theta": theta, "se": se, "asked": self.asked, "correct": self.correct}


def p_correct(theta: float, difficulty: float) -> float:
    return 1.0 / (1.0 + math.exp(-(theta - difficulty)))


def ability_estimate(answers: Iterable[tuple[float, bool | float]]) -> Ability:
    """EAP θ and its SE from (item difficulty, outcome) pairs.

    The outcome y is True/1 for a right answer, False/0 for a wrong one, or the partial credit in
    between of a multiple-choice answer, taken as a fractional response: its log-likelihood is
    y·log p + (1 - y)·log(1 - p), which is valid for any y in [0, 1]. `correct` counts full credit only.

    Items of the same difficulty and outcome contribute the same likelihood, so the posterior is
    built from each distinct pair's log-likelihood on the grid (cached) times its count: the cost
    stays flat however many answers there are.
    """
    counts = Counter((float(difficulty), min(max(float(y), 0.0), 1.0)) for difficulty, y in answers)
    log_posterior = list(LOG_PRIOR)
    for (difficulty, correct), n in counts.items():
        for i, value in enumerate(_log_likelihood(difficulty, correct)):
            log_posterior[i] += n * value
    top = max(log_posterior)
    posterior = [math.exp(v - top) for v in log_posterior]
    total = sum(posterior)
    mean = sum(t * w for t, w in zip(GRID, posterior, strict=True)) / total
    variance = sum((t - mean) ** 2 * w for t, w in zip(GRID, posterior, strict=True)) / total
    asked = sum(counts.values())
    correct_count = sum(n for (_, y), n in counts.items() if y >= 1.0)
    return Ability(theta=mean, se=math.sqrt(max(variance, 0.0)), asked=asked, correct=correct_count)


@functools.lru_cache(maxsize=8192)
def _log_likelihood(difficulty: float, y: float) -> tuple[float, ...]:
    """log P(outcome | θ) at each grid point, for one item difficulty and an outcome y in [0, 1]."""
    if y in (0.0, 1.0):
        sign = 1.0 if y else -1.0
        return tuple(-math.log1p(math.exp(-sign * (t - difficulty))) for t in GRID)
    return tuple(
        -y * math.log1p(math.exp(-(t - difficulty))) - (1.0 - y) * math.log1p(math.exp(t - difficulty)) for t in GRID
    )


def difficulty_logit(difficulty: str) -> float:
    return DIFFICULTY_LOGIT.get(difficulty, 0.0)


def difficulty_label(theta: float) -> str:
    """The difficulty band whose logit is closest to θ: what to ask a generator for."""
    return min(DIFFICULTY_LOGIT, key=lambda label: abs(DIFFICULTY_LOGIT[label] - theta))
