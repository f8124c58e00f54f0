"""Ability estimates under the Rasch model: P(correct) = 1 / (1 + exp(-(θ - b))).

θ is the expected a-posteriori (EAP) estimate under a standard normal prior, computed on a grid;
its standard error is the posterior standard deviation.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

from assessments.models import Difficulty

# Logit difficulties until items are calibrated.
DIFFICULTY_LOGIT: dict[str, float] = {Difficulty.EASY: -1.0, Difficulty.MEDIUM: 0.0, Difficulty.HARD: 1.0}
GRID = [i / 10 for i in range(-40, 41)]
PRIOR = [math.exp(-(t * t) / 2) for t in GRID]


@dataclass(frozen=True)
class Ability:
    theta: float
    se: float
    asked: int
    correct: int

    def as_dict(self) -> dict[str, float | int]:
        return {"theta": round(self.theta, 3), "se": round(self.se, 3), "asked": self.asked, "correct": self.correct}


def p_correct(theta: float, difficulty: float) -> float:
    return 1.0 / (1.0 + math.exp(-(theta - difficulty)))


def ability_estimate(answers: Iterable[tuple[float, bool]]) -> Ability:
    """EAP θ and its SE from (item difficulty, answered correctly) pairs."""
    answers = list(answers)
    posterior = list(PRIOR)
    for difficulty, correct in answers:
        for i, theta in enumerate(GRID):
            p = p_correct(theta, difficulty)
            posterior[i] *= p if correct else 1.0 - p
    total = sum(posterior)
    mean = sum(t * w for t, w in zip(GRID, posterior, strict=True)) / total
    variance = sum((t - mean) ** 2 * w for t, w in zip(GRID, posterior, strict=True)) / total
    return Ability(theta=mean, se=math.sqrt(variance), asked=len(answers), correct=sum(1 for _, c in answers if c))


def difficulty_logit(difficulty: str) -> float:
    return DIFFICULTY_LOGIT.get(difficulty, 0.0)


def difficulty_label(theta: float) -> str:
    """The difficulty band whose logit is closest to θ: what to ask a generator for."""
    return min(DIFFICULTY_LOGIT, key=lambda label: abs(DIFFICULTY_LOGIT[label] - theta))
