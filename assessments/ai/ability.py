"""Ability estimates under the two-parameter logistic model: P(correct) = 1 / (1 + exp(-a (θ - b))),
with a = 1 (the Rasch model) for an item whose discrimination is not calibrated yet
(`psychometrics.calibration`).

θ is the expected a-posteriori (EAP) estimate under a standard normal prior, computed on a grid;
its standard error is the posterior standard deviation.
"""

import functools
import math
from collections import Counter
from collections.abc import Iterable, Sequence
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


# (difficulty, outcome), or (difficulty, outcome, discrimination); the discrimination is 1 when left out.
Answer = tuple[float, bool | float] | tuple[float, bool | float, float]


def p_correct(theta: float, difficulty: float, discrimination: float = 1.0) -> float:
    return 1.0 / (1.0 + math.exp(-discrimination * (theta - difficulty)))


def ability_estimate(answers: Iterable[Answer]) -> Ability:
    """EAP θ and its SE from (item difficulty, outcome[, discrimination]) answers.

    The outcome y is True/1 for a right answer, False/0 for a wrong one, or the partial credit in
    between of a multiple-choice answer, taken as a fractional response: its log-likelihood is
    y·log p + (1 - y)·log(1 - p), which is valid for any y in [0, 1]. `correct` counts full credit only.

    Items of the same parameters and outcome contribute the same likelihood, so the posterior is
    built from each distinct answer's log-likelihood on the grid (cached) times its count: the cost
    stays flat however many answers there are.
    """
    counts = Counter(_normalized(answer) for answer in answers)
    log_posterior = list(LOG_PRIOR)
    for (difficulty, correct, discrimination), n in counts.items():
        for i, value in enumerate(_log_likelihood(difficulty, correct, discrimination)):
            log_posterior[i] += n * value
    correct_count = sum(n for (_, y, _), n in counts.items() if y >= 1.0)
    return _posterior_summary(log_posterior, asked=sum(counts.values()), correct=correct_count)


def abilities_without_each(answers: Sequence[Answer]) -> list[Ability]:
    """For each answer, the EAP θ ± SE from all the others: what calibration pairs an answer with, so
    that the answer itself, which moved θ̂ its own way, does not make its item look more discriminating
    than it is. The full posterior is built once and each answer's log-likelihood taken out of it."""
    normalized = [_normalized(answer) for answer in answers]
    log_posterior = list(LOG_PRIOR)
    for answer in normalized:
        for i, value in enumerate(_log_likelihood(*answer)):
            log_posterior[i] += value
    correct = sum(1 for _, y, _ in normalized if y >= 1.0)
    estimates = []
    for difficulty, y, discrimination in normalized:
        own = _log_likelihood(difficulty, y, discrimination)
        others = [total - value for total, value in zip(log_posterior, own, strict=True)]
        estimates.append(_posterior_summary(others, asked=len(normalized) - 1, correct=correct - (y >= 1.0)))
    return estimates


def _normalized(answer: Answer) -> tuple[float, float, float]:
    """(difficulty, outcome clamped to [0, 1], discrimination, 1 when left out)."""
    return float(answer[0]), min(max(float(answer[1]), 0.0), 1.0), float(answer[2]) if len(answer) == 3 else 1.0


def _posterior_summary(log_posterior: list[float], *, asked: int, correct: int) -> Ability:
    top = max(log_posterior)
    posterior = [math.exp(v - top) for v in log_posterior]
    total = sum(posterior)
    mean = sum(t * w for t, w in zip(GRID, posterior, strict=True)) / total
    variance = sum((t - mean) ** 2 * w for t, w in zip(GRID, posterior, strict=True)) / total
    return Ability(theta=mean, se=math.sqrt(max(variance, 0.0)), asked=asked, correct=correct)


@functools.lru_cache(maxsize=8192)
def _log_likelihood(difficulty: float, y: float, a: float) -> tuple[float, ...]:
    """log P(outcome | θ) at each grid point, for one item's difficulty and discrimination a and an
    outcome y in [0, 1]."""
    if y in (0.0, 1.0):
        sign = 1.0 if y else -1.0
        return tuple(-math.log1p(math.exp(-sign * a * (t - difficulty))) for t in GRID)
    return tuple(
        -y * math.log1p(math.exp(-a * (t - difficulty))) - (1.0 - y) * math.log1p(math.exp(a * (t - difficulty)))
        for t in GRID
    )


def difficulty_logit(difficulty: str) -> float:
    return DIFFICULTY_LOGIT.get(difficulty, 0.0)


def difficulty_label(theta: float) -> str:
    """The difficulty band whose logit is closest to θ: what to ask a generator for."""
    return min(DIFFICULTY_LOGIT, key=lambda label: abs(DIFFICULTY_LOGIT[label] - theta))
