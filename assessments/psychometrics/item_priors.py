"""A test's prior for its items' difficulties and discriminations, learnt from the answers (empirical Bayes, with the label
as the item's covariate, after Mislevy 1988, "Exploiting auxiliary information about items in the
estimation of Rasch item difficulty parameters").

Every item's estimate is kept under the label's prior, b ~ N(label logit, PRIOR_SD²)
(`calibration.ItemEstimate`). Labels are guesses, and how good they are differs from one author or
generator to the next: an LLM's "hard" may mean +0.5 or +2 logits. Once enough of a test's items
have answers, the test's labels are regressed on what the answers say:

    b = intercept + slope · label logit + e,    e ~ N(0, sd²)

where "what the answers say" is each item's estimate with the label's prior divided out (its
likelihood alone, in the Laplace approximation), fitted by least squares over the items whose
answers put it within MIN_DATA_SE; sd² is the residual variance less those estimates' own mean
variance, kept within [MIN_SD², PRIOR_SD²]. Discriminations likewise: once MIN_ITEMS items' answers
put ln a within MIN_DATA_SE_A, ln a's prior N(0, PRIOR_LOG_DISCRIMINATION_SD²) becomes the pool's,
N(mean of what they say, their variance less their noise), its SD kept within
[MIN_SD_A, PRIOR_LOG_DISCRIMINATION_SD]: adaptive tests show an item to candidates near its
difficulty, where its answers say little of its slope, so the pool's tells more than 1 does.

Selection and scoring then read each item under that prior instead (`estimate_under`): the Gaussian
posterior with the label's prior swapped for the test's, exact in the same approximation. An item
without answers starts from intercept + slope · label logit with SD sd. Each calibration step is
taken there too (`calibration_update_under`), the result being kept under the label's prior again:
what is stored is always the estimate under the label's prior, which any other prior can then be
swapped into. With fewer than MIN_ITEMS such items the label's own prior stays (`LABELS`). Until an
item's difficulty is trusted, selection and scoring take a = the pool's (e^mean ln a) rather than 1.
"""

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, replace

from assessments.psychometrics.calibration import (
    LOG_DISCRIMINATION_BOUND,
    PRIOR_LOG_DISCRIMINATION_SD,
    PRIOR_SD,
    ItemEstimate,
    calibration_update,
)

MIN_ITEMS = 10
MIN_DATA_SE = 0.5
MIN_SD = 0.3
MAX_SLOPE = 2.0
MIN_DATA_SE_A = 0.35
MIN_SD_A = 0.1


@dataclass(frozen=True)
class ItemPrior:
    """The test's prior for an item: b ~ N(intercept + slope · label logit, sd²) and
    ln a ~ N(log_discrimination_mean, log_discrimination_sd²), uncorrelated."""

    intercept: float = 0.0
    slope: float = 1.0
    sd: float = PRIOR_SD
    items: int = 0  # how many items it was fitted from; 0: the labels' own prior
    log_discrimination_mean: float = 0.0
    log_discrimination_sd: float = PRIOR_LOG_DISCRIMINATION_SD

    def mean(self, label_logit: float) -> float:
        return self.intercept + self.slope * label_logit

    @property
    def discrimination(self) -> float:
        """The pool's a: e^(ln a's prior mean)."""
        return math.exp(self.log_discrimination_mean)


LABELS = ItemPrior()


def _precision(estimate: ItemEstimate) -> tuple[float, float, float] | None:
    """The posterior's precision matrix (b b, b ln a, ln a ln a); None for an estimate known exactly."""
    vb, va, c = estimate.variance, estimate.log_discrimination_variance, estimate.covariance
    det = vb * va - c * c
    if det <= 1e-12:
        return None
    return va / det, -c / det, vb / det


def _answers_alone(estimate: ItemEstimate, *, of_slope: bool = False) -> tuple[float, float] | None:
    """What the item's answers alone say of b (or, `of_slope`, of ln a): mean and variance, with the
    label's prior on that parameter divided out and the other's kept; None before any answer."""
    precision = _precision(estimate)
    if estimate.n == 0 or precision is None:
        return None
    pbb, pba, paa = precision
    # The posterior's natural parameters (precision times mean).
    hb = pbb * estimate.mean + pba * estimate.log_discrimination
    ha = pba * estimate.mean + paa * estimate.log_discrimination
    if of_slope:  # the label's prior on ln a is centred on 0: nothing to take off its natural mean
        own, own_h, other, other_h = paa - 1.0 / PRIOR_LOG_DISCRIMINATION_SD**2, ha, pbb, hb
    else:
        own, own_h, other, other_h = pbb - 1.0 / PRIOR_SD**2, hb - estimate.prior / PRIOR_SD**2, paa, ha
    information = own - pba * pba / other
    if information <= 1e-9:
        return None
    return (own_h - pba / other * other_h) / information, 1.0 / information


def _log_discrimination_fit(estimates: list[ItemEstimate]) -> tuple[float, float] | None:
    said = [s for e in estimates if (s := _answers_alone(e, of_slope=True)) is not None and s[1] <= MIN_DATA_SE_A**2]
    if len(said) < MIN_ITEMS:
        return None
    means = [m for m, _ in said]
    spread = statistics.pvariance(means) - statistics.fmean(v for _, v in said)
    centre = min(LOG_DISCRIMINATION_BOUND, max(-LOG_DISCRIMINATION_BOUND, statistics.fmean(means)))
    return centre, math.sqrt(min(PRIOR_LOG_DISCRIMINATION_SD**2, max(MIN_SD_A**2, spread)))


def item_prior_fit(estimates: Iterable[ItemEstimate]) -> ItemPrior:
    """The test's prior from its items' estimates (the module's docstring states the fit)."""
    estimates = list(estimates)
    pairs = []
    for estimate in estimates:
        likelihood = _answers_alone(estimate)
        if likelihood is not None and likelihood[1] <= MIN_DATA_SE**2:
            pairs.append((estimate.prior, *likelihood))
    if len(pairs) < MIN_ITEMS:
        return LABELS
    labels, said = [p[0] for p in pairs], [p[1] for p in pairs]
    spread = statistics.pvariance(labels)
    slope = 0.0
    if spread > 1e-9:
        slope = statistics.fmean((x - statistics.fmean(labels)) * y for x, y in zip(labels, said, strict=True)) / spread
        slope = min(MAX_SLOPE, max(0.0, slope))
    intercept = statistics.fmean(said) - slope * statistics.fmean(labels)
    residual = statistics.fmean((y - intercept - slope * x) ** 2 for x, y in zip(labels, said, strict=True))
    noise = statistics.fmean(p[2] for p in pairs)
    sd = math.sqrt(min(PRIOR_SD**2, max(MIN_SD**2, residual - noise)))
    fitted = ItemPrior(intercept=intercept, slope=slope, sd=sd, items=len(pairs))
    slopes = _log_discrimination_fit(estimates)
    if slopes is None:
        return fitted
    return replace(fitted, log_discrimination_mean=slopes[0], log_discrimination_sd=slopes[1])


def estimate_under(estimate: ItemEstimate, *, prior: ItemPrior, was: ItemPrior = LABELS) -> ItemEstimate:
    """The item's estimate under `prior` instead of `was` (the same answers): the Gaussian posterior
    with the one prior on (b, ln a) divided out and the other multiplied in."""
    precision = _precision(estimate)
    if prior == was or precision is None:
        return estimate
    pbb, pba, paa = precision
    hb = pbb * estimate.mean + pba * estimate.log_discrimination
    ha = pba * estimate.mean + paa * estimate.log_discrimination
    pbb += 1.0 / prior.sd**2 - 1.0 / was.sd**2
    hb += prior.mean(estimate.prior) / prior.sd**2 - was.mean(estimate.prior) / was.sd**2
    paa += 1.0 / prior.log_discrimination_sd**2 - 1.0 / was.log_discrimination_sd**2
    ha += (
        prior.log_discrimination_mean / prior.log_discrimination_sd**2
        - was.log_discrimination_mean / was.log_discrimination_sd**2
    )
    det = pbb * paa - pba * pba
    vb, va, c = paa / det, pbb / det, -pba / det
    return replace(
        estimate,
        mean=vb * hb + c * ha,
        variance=vb,
        # Not clamped here (the step clamps what it stores): the swap back must give the same estimate.
        log_discrimination=c * hb + va * ha,
        log_discrimination_variance=va,
        covariance=c,
    )


def calibration_update_under(
    *, item: ItemEstimate, prior: ItemPrior, theta: float, theta_se: float, credit: float
) -> ItemEstimate:
    """`calibration.calibration_update`, taken at the item's estimate under the test's `prior` (where
    selection and scoring have it), and kept, like every estimate, under the label's prior."""
    step = calibration_update(item=estimate_under(item, prior=prior), theta=theta, theta_se=theta_se, credit=credit)
    return estimate_under(step, prior=LABELS, was=prior)
