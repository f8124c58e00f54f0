"""Each item's calibration for recruiters and operators: its prior, the calibrated difficulty, its SE
and n, the calibrated discrimination a ± SE, and the flags for review (`psychometrics.calibration`):
drifted more than DRIFT_LOGITS from the prior once trusted, or a negative live discrimination."""

import math
from dataclasses import dataclass, replace

from assessments.ai.ability import difficulty_logit
from assessments.models import Question, Test
from assessments.psychometrics.calibration import DRIFT_LOGITS, ItemEstimate, discrimination_negative


def item_estimate(question: Question) -> ItemEstimate:
    """The question's current estimate: its prior until its first calibrated answer."""
    prior = difficulty_logit(question.difficulty)
    if question.calibrated_difficulty is None or question.calibration_se is None:
        return ItemEstimate.from_prior(prior)
    variance = question.calibration_se**2
    estimate = ItemEstimate(
        prior=prior, mean=question.calibrated_difficulty, variance=variance, n=question.calibration_n
    )
    a, a_se = question.calibrated_discrimination, question.discrimination_se
    if a is None or a_se is None or a <= 0:  # calibrated before discriminations were (a Rasch item so far)
        return estimate
    return replace(
        estimate,
        log_discrimination=math.log(a),
        log_discrimination_variance=(a_se / a) ** 2,
        covariance=question.calibration_covariance or 0.0,
    )


@dataclass(frozen=True)
class ItemCalibration:
    question_id: int
    skill: str
    difficulty: str  # the author's or generator's label
    prior: float
    calibrated: float | None
    se: float | None
    n: int
    trusted: bool
    drift: float | None  # calibrated - prior
    a: float | None  # the calibrated 2PL discrimination
    a_se: float | None
    discrimination: float | None  # the live point-biserial r of θ and credit
    flags: tuple[str, ...]
    prompt: str


def question_calibration(question: Question) -> ItemCalibration:
    estimate = item_estimate(question)
    calibrated = question.calibrated_difficulty
    flags = []
    if estimate.drifted:
        flags.append(f"moved over {DRIFT_LOGITS:g} logit from its prior")
    if discrimination_negative(discrimination=question.live_discrimination, n=question.calibration_n):
        flags.append("negative discrimination")
    return ItemCalibration(
        question_id=question.pk,
        skill=question.skill.name,
        difficulty=question.difficulty,
        prior=difficulty_logit(question.difficulty),
        calibrated=None if calibrated is None else round(calibrated, 3),
        se=None if question.calibration_se is None else round(question.calibration_se, 3),
        n=question.calibration_n,
        trusted=calibrated is not None and estimate.trusted,
        drift=None if calibrated is None else round(calibrated - estimate.prior, 3),
        a=None if question.calibrated_discrimination is None else round(question.calibrated_discrimination, 3),
        a_se=None if question.discrimination_se is None else round(question.discrimination_se, 3),
        discrimination=None if question.live_discrimination is None else round(question.live_discrimination, 3),
        flags=tuple(flags),
        prompt=question.prompt,
    )


def blueprint_calibration(*, test: Test) -> list[ItemCalibration]:
    """Every question of the test, flagged ones first, then by the size of their drift."""
    rows = [question_calibration(q) for q in Question.objects.filter(test=test).select_related("skill").order_by("id")]
    rows.sort(key=lambda row: (not row.flags, -abs(row.drift or 0.0), row.question_id))
    return rows
