"""Online calibration of items under the two-parameter logistic model (2PL):

    P(right | θ; b, a) = 1 / (1 + e^-(a (θ - b)))

b is the item's difficulty and a > 0 its discrimination, estimated as ln a so that it stays
positive. (b, ln a) has a joint normal posterior: means (mean, log_discrimination), variances (variance,
log_discrimination_variance) and their covariance. It starts from its prior:

- b: the logit of the difficulty its author or the generator gave (easy -1, medium 0, hard +1) with a
  wide SD (PRIOR_SD = 1 logit), since such labels are guesses;
- ln a: 0, that is a = 1, the Rasch model, with SD PRIOR_LOG_DISCRIMINATION_SD (0.3: a between 0.55 and
  1.8 before any answer), and no correlation with b.

Until answers say otherwise an item is therefore a Rasch item. After each scored response y (1 right,
0 wrong, a partly right answer's credit in between) by a candidate whose ability estimate is θ ± SE,
one Newton step of the log posterior with the expected information (a Laplace approximation, the
Kalman filter of a logistic observation) updates it:

    κ  = 1 / sqrt(1 + π a² SE² / 8)         θ's own uncertainty (the probit approximation)
    p  = logistic(κ a (θ - b))
    g  = (-κ a, κ³ a (θ - b))                the gradient of the logit in (b, ln a) (κ depends on a)
    u  = Σ g,  s = gᵀ Σ g,  w = p (1 - p)
    (b, ln a)' = (b, ln a) + u (y - p) / (1 + w s)
    Σ'         = Σ - u uᵀ w / (1 + w s)

A right answer from a weak candidate makes the item easier, a wrong one from a strong candidate
harder, and answers that follow θ more steeply than a = 1 predicts raise a; by less and less as the
precision grows (the SEs shrink like 1 / sqrt(n)). With a = 1 and ln a's variance at 0 this is the
Rasch update.
ln a is kept within ±LOG_DISCRIMINATION_BOUND (a from 0.25 to 4).

Selection and scoring trust the calibrated (b, a) once b's SE is under TRUSTED_SE (0.5 logit: four
times the prior's precision, about 15 answers); until then they use the prior difficulty and a = 1.
"""

import math
from dataclasses import dataclass

PRIOR_SD = 1.0
PRIOR_LOG_DISCRIMINATION_SD = 0.3
LOG_DISCRIMINATION_BOUND = math.log(4.0)
TRUSTED_SE = 0.5
# Flags for review: a calibrated difficulty this far from its prior, once trusted.
DRIFT_LOGITS = 1.0


@dataclass(frozen=True)
class ItemEstimate:
    prior: float
    mean: float  # b
    variance: float  # of b
    n: int = 0
    log_discrimination: float = 0.0  # ln a
    log_discrimination_variance: float = PRIOR_LOG_DISCRIMINATION_SD**2
    covariance: float = 0.0  # of b and ln a

    @classmethod
    def from_prior(cls, prior: float, sd: float = PRIOR_SD) -> "ItemEstimate":
        return cls(prior=prior, mean=prior, variance=sd * sd, n=0)

    @property
    def se(self) -> float:
        return math.sqrt(self.variance)

    @property
    def discrimination(self) -> float:
        return math.exp(self.log_discrimination)

    @property
    def discrimination_se(self) -> float:
        """a's SE, by the delta method from ln a's."""
        return self.discrimination * math.sqrt(self.log_discrimination_variance)

    @property
    def trusted(self) -> bool:
        return self.se < TRUSTED_SE

    @property
    def drifted(self) -> bool:
        return self.trusted and abs(self.mean - self.prior) > DRIFT_LOGITS


def calibration_update(*, item: ItemEstimate, theta: float, theta_se: float, credit: float) -> ItemEstimate:
    """The item's estimate after one response scored `credit` (1 right, 0 wrong) by a candidate at θ ± SE."""
    a = item.discrimination
    kappa = 1.0 / math.sqrt(1.0 + math.pi * a * a * theta_se * theta_se / 8.0)
    z = a * (theta - item.mean)
    p = 1.0 / (1.0 + math.exp(-kappa * z))
    # κ depends on a: d(κ a)/d ln a = κ³ a, so the logit's slope in ln a is κ³ a (θ - b).
    g_b, g_alpha = -kappa * a, kappa**3 * z
    v_b, v_alpha, cov = item.variance, item.log_discrimination_variance, item.covariance
    u_b, u_alpha = v_b * g_b + cov * g_alpha, cov * g_b + v_alpha * g_alpha
    w = p * (1.0 - p)
    gain = 1.0 + w * (g_b * u_b + g_alpha * u_alpha)
    residual = (credit - p) / gain
    alpha = item.log_discrimination + u_alpha * residual
    return ItemEstimate(
        prior=item.prior,
        mean=item.mean + u_b * residual,
        variance=v_b - u_b * u_b * w / gain,
        n=item.n + 1,
        log_discrimination=max(-LOG_DISCRIMINATION_BOUND, min(LOG_DISCRIMINATION_BOUND, alpha)),
        log_discrimination_variance=v_alpha - u_alpha * u_alpha * w / gain,
        covariance=cov - u_b * u_alpha * w / gain,
    )


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
