"""Online calibration of item difficulties under the Rasch model, P(right | θ, b) = 1 / (1 + e^-(θ - b)).

Each item's difficulty b has a normal posterior N(mean, variance). It starts from its prior: the logit
of the difficulty its author or the generator gave (easy -1, medium 0, hard +1) with a wide variance
(PRIOR_SD = 1 logit), since such labels are guesses. After each scored response by a candidate whose
ability estimate is θ ± SE, one Newton step of the log posterior (a Laplace approximation) updates it:

    p          = logistic(κ (θ - mean)),  κ = 1 / sqrt(1 + π SE² / 8)   (θ's own uncertainty, probit approximation)
    precision' = 1 / variance + κ² p (1 - p)
    mean'      = mean + κ (p - y) / precision'

with y = 1 for a right answer (a partly right one counts its credit, 0..1). A right answer from a weak
candidate makes the item easier, a wrong one from a strong candidate harder, by less and less as the
precision grows: the item's SE is 1 / sqrt(precision) and shrinks like 1 / sqrt(n).

Selection trusts the calibrated difficulty once its SE is under TRUSTED_SE; until then it uses the prior.
"""

import math
from dataclasses import dataclass

PRIOR_SD = 1.0
TRUSTED_SE = 0.35
# Flags for review: a calibrated difficulty this far from its prior, once trusted.
DRIFT_LOGITS = 1.0


@dataclass(frozen=True)
class ItemEstimate:
    prior: float
    mean: float
    variance: float
    n: int = 0

    @classmethod
    def from_prior(cls, prior: float, sd: float = PRIOR_SD) -> "ItemEstimate":
        return cls(prior=prior, mean=prior, variance=sd * sd, n=0)

    @property
    def se(self) -> float:
        return math.sqrt(self.variance)

    @property
    def trusted(self) -> bool:
        return self.se < TRUSTED_SE

    @property
    def difficulty(self) -> float:
        """What selection uses: the calibrated difficulty once trusted, else the prior."""
        return self.mean if self.trusted else self.prior

    @property
    def drifted(self) -> bool:
        return self.trusted and abs(self.mean - self.prior) > DRIFT_LOGITS


def calibration_update(*, item: ItemEstimate, theta: float, theta_se: float, credit: float) -> ItemEstimate:
    """The item's estimate after one response scored `credit` (1 right, 0 wrong) by a candidate at θ ± SE."""
    kappa = 1.0 / math.sqrt(1.0 + math.pi * theta_se * theta_se / 8.0)
    p = 1.0 / (1.0 + math.exp(-kappa * (theta - item.mean)))
    precision = 1.0 / item.variance + kappa * kappa * p * (1.0 - p)
    mean = item.mean + kappa * (p - credit) / precision
    return ItemEstimate(prior=item.prior, mean=mean, variance=1.0 / precision, n=item.n + 1)


# The live discrimination: Pearson's r between the candidates' ability estimates θ and their credit y
# on the item (the point-biserial for right/wrong answers), kept as running sums so each answer costs
# O(1). Negative once there are DISCRIMINATION_MIN_N answers: stronger candidates do worse on the item,
# most often a wrong key or an ambiguous option, so it is flagged for review.
DISCRIMINATION_MIN_N = 20
MOMENT_KEYS = ("n", "sx", "sy", "sxx", "syy", "sxy")


def moments_add(moments: dict[str, float], *, theta: float, credit: float) -> dict[str, float]:
    """The running sums with one more (θ, credit) pair."""
    n, sx, sy, sxx, syy, sxy = (float(moments.get(key, 0.0)) for key in MOMENT_KEYS)
    values = (n + 1, sx + theta, sy + credit, sxx + theta * theta, syy + credit * credit, sxy + theta * credit)
    return dict(zip(MOMENT_KEYS, values, strict=True))


def moments_correlation(moments: dict[str, float]) -> float | None:
    """Pearson's r from the running sums; None with fewer than two pairs or no spread in θ or credit."""
    n, sx, sy, sxx, syy, sxy = (float(moments.get(key, 0.0)) for key in MOMENT_KEYS)
    if n < 2:
        return None
    cov, var_x, var_y = sxy - sx * sy / n, sxx - sx * sx / n, syy - sy * sy / n
    if var_x <= 1e-12 or var_y <= 1e-12:
        return None
    return max(-1.0, min(1.0, cov / math.sqrt(var_x * var_y)))


def discrimination_negative(*, discrimination: float | None, n: int) -> bool:
    return discrimination is not None and n >= DISCRIMINATION_MIN_N and discrimination < 0
