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
