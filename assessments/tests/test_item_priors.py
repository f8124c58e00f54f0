"""The test's prior for its items' difficulties and discriminations, learnt from their answers
(`psychometrics.item_priors`), and motivation filtering (`response_times.effortful_attempt`), on small
hand-computed data; then as the bank and calibration use them."""

import math
import random
from dataclasses import replace

import pytest
from django.db.models import F

from assessments.models import Question, QuestionRegrade, Test
from assessments.psychometrics.calibration import ItemEstimate, calibration_update
from assessments.psychometrics.item_priors import (
    LABELS,
    MIN_DATA_SE,
    MIN_ITEMS,
    ItemPrior,
    calibration_update_under,
    estimate_under,
    item_prior_fit,
)
from assessments.psychometrics.response_times import effortful_attempt
from assessments.selectors.bank import bank_for
from assessments.services import calibration as calibration_service
from assessments.services.calibration import attempts_calibrate
from assessments.tests.backoffice_factories import attempt_with_answers
from assessments.tests.factories import QuestionFactory, published_test_with_bank


def _answered(
    label: float, *, says: float, variance: float, slope_says: float | None = None, slope_variance: float = 1.0
) -> ItemEstimate:
    """An item whose answers alone say b ~ N(says, variance), under its label's prior N(label, 1):
    precision 1 + 1 / variance; and ln a ~ N(slope_says, slope_variance) under ln a's N(0, 0.3²), or
    nothing of a. b and ln a uncorrelated."""
    precision = 1.0 + 1.0 / variance
    estimate = ItemEstimate(prior=label, mean=(label + says / variance) / precision, variance=1.0 / precision, n=10)
    if slope_says is None:
        return estimate
    slope_precision = 1 / 0.09 + 1 / slope_variance
    return replace(
        estimate,
        log_discrimination=slope_says / slope_variance / slope_precision,
        log_discrimination_variance=1 / slope_precision,
    )


def test_another_prior_is_swapped_in_for_the_labels_by_hand() -> None:
    # Label +1, the answers say 2 ± 0.5: under the label's prior precision 1 + 4 = 5, mean (1 + 8) / 5.
    item = _answered(1.0, says=2.0, variance=0.25)
    assert (item.mean, item.variance) == pytest.approx((1.8, 0.2))
    prior = ItemPrior(intercept=0.5, slope=0.5, sd=0.5)  # a +1 label means 1.0 ± 0.5

    under = estimate_under(item, prior=prior)

    # Precision 4 + 4 = 8, mean (1.0 · 4 + 2 · 4) / 8.
    assert (under.mean, under.variance) == pytest.approx((1.5, 0.125))
    assert (under.n, under.prior, under.log_discrimination) == (10, 1.0, 0.0)
    back = estimate_under(under, prior=LABELS, was=prior)
    assert (back.mean, back.variance) == pytest.approx((1.8, 0.2))


def _solve(
    precision: tuple[float, float, float], natural: tuple[float, float]
) -> tuple[float, float, float, float, float]:
    """Mean (b, ln a), variances and covariance of the Gaussian with this precision (bb, ba, aa) and
    natural mean (precision times mean)."""
    pbb, pba, paa = precision
    det = pbb * paa - pba * pba
    vb, va, c = paa / det, pbb / det, -pba / det
    return vb * natural[0] + c * natural[1], c * natural[0] + va * natural[1], vb, va, c


def test_a_swap_with_correlated_answers_is_the_posterior_under_the_other_prior() -> None:
    # The answers' likelihood: precision [[20, -6], [-6, 8]] about (b, ln a) = (0.8, 0.3), natural mean
    # (20·0.8 - 6·0.3, -6·0.8 + 8·0.3) = (14.2, -2.4). Under the label's prior (label +1: N(1, 1) and
    # N(0, 0.09)) the posterior has precision (21, -6, 8 + 1/0.09) and natural mean (15.2, -2.4).
    b, ln_a, vb, va, c = _solve((21.0, -6.0, 8 + 1 / 0.09), (15.2, -2.4))
    item = ItemEstimate(
        prior=1.0, mean=b, variance=vb, n=30, log_discrimination=ln_a, log_discrimination_variance=va, covariance=c
    )
    prior = ItemPrior(intercept=0.2, slope=0.5, sd=0.5, log_discrimination_mean=0.1, log_discrimination_sd=0.2)

    under = estimate_under(item, prior=prior)

    # The test's prior: b ~ N(0.7, 0.25), ln a ~ N(0.1, 0.04); precision (24, -6, 33), natural mean
    # (14.2 + 0.7 / 0.25, -2.4 + 0.1 / 0.04).
    expected = _solve((24.0, -6.0, 33.0), (14.2 + 2.8, -2.4 + 2.5))
    got = (under.mean, under.log_discrimination, under.variance, under.log_discrimination_variance, under.covariance)
    assert got == pytest.approx(expected)
    back = estimate_under(under, prior=LABELS, was=prior)
    assert (back.mean, back.log_discrimination, back.covariance) == pytest.approx((b, ln_a, c))
    # What these answers alone say of b, ln a's prior kept: precision (20, -6, 8 + 1/0.09), natural
    # mean (14.2, -2.4); twelve such items of one label fit the test's b at that marginal mean.
    alone_b, _, alone_vb, _, _ = _solve((20.0, -6.0, 8 + 1 / 0.09), (14.2, -2.4))
    assert item_prior_fit([item] * 12).intercept == pytest.approx(alone_b)
    assert alone_vb < MIN_DATA_SE**2


def test_an_item_without_answers_starts_from_the_tests_prior() -> None:
    under = estimate_under(ItemEstimate.from_prior(-1.0), prior=ItemPrior(intercept=0.2, slope=0.6, sd=0.4))

    assert (under.mean, under.se, under.n) == pytest.approx((0.2 - 0.6, 0.4, 0))
    assert estimate_under(ItemEstimate.from_prior(-1.0), prior=LABELS) == ItemEstimate.from_prior(-1.0)


def test_the_fit_regresses_what_the_answers_say_on_the_labels() -> None:
    # Four items per label; the answers say 0.2 + 0.6 · label ± 0.5, each within SE 0.2: least squares
    # gives the line exactly, the residual variance is 0.25, less the answers' own 0.04.
    items = [
        _answered(label, says=0.2 + 0.6 * label + residual, variance=0.04)
        for label in (-1.0, 0.0, 1.0)
        for residual in (0.5, -0.5, 0.5, -0.5)
    ]

    prior = item_prior_fit(items)

    assert (prior.intercept, prior.slope, prior.sd, prior.items) == pytest.approx((0.2, 0.6, math.sqrt(0.21), 12))
    assert prior.mean(1.0) == pytest.approx(0.8)


def test_the_fit_learns_the_pools_discriminations_and_takes_them_as_ln_as_prior() -> None:
    # The answers say ln a = 0 or 0.4 ± 0.1: the pool's ln a is 0.2, spread by 0.04 less the answers'
    # own 0.01, SD 0.173.
    items = [_answered(0.0, says=0.0, variance=0.04, slope_says=says, slope_variance=0.01) for says in (0.0, 0.4) * 6]

    prior = item_prior_fit(items)

    assert (prior.log_discrimination_mean, prior.log_discrimination_sd) == pytest.approx((0.2, math.sqrt(0.03)))
    # An item whose answers say 0.4 ± 0.1: under ln a's N(0, 0.09), precision 1 / 0.09 + 100, mean 0.36;
    # under the pool's, precision 1 / 0.03 + 100, mean (0.2 / 0.03 + 40) / 133.3 = 0.35.
    steep = items[1]
    assert steep.log_discrimination == pytest.approx(40 / (1 / 0.09 + 100))
    under = estimate_under(steep, prior=prior)
    assert under.log_discrimination == pytest.approx((0.2 / 0.03 + 40) / (1 / 0.03 + 100))
    assert under.log_discrimination_variance == pytest.approx(1 / (1 / 0.03 + 100))
    # Too little said of the slopes (SE over 0.35) leaves ln a's prior as it was.
    vague = [replace(item, log_discrimination_variance=0.085) for item in items]
    assert item_prior_fit(vague).log_discrimination_sd == pytest.approx(0.3)


def test_the_labels_prior_stays_with_too_few_answered_items() -> None:
    well_measured = [_answered(1.0, says=0.0, variance=0.04) for _ in range(MIN_ITEMS - 1)]
    barely = [_answered(0.0, says=3.0, variance=1.0) for _ in range(5)]  # SE 1: too little to count
    unanswered = [ItemEstimate.from_prior(0.0)] * 5

    assert item_prior_fit(well_measured + barely + unanswered) == LABELS


def test_with_one_label_the_prior_is_the_pools_mean_and_spread() -> None:
    items = [_answered(0.0, says=says, variance=0.04) for says in (1.0, 2.0) * 6]

    prior = item_prior_fit(items)

    assert (prior.intercept, prior.slope, prior.sd) == pytest.approx((1.5, 0.0, math.sqrt(0.25 - 0.04)))


def test_the_fitted_spread_stays_between_its_bounds() -> None:
    tight = item_prior_fit([_answered(0.0, says=1.0, variance=0.04) for _ in range(12)])
    wide = item_prior_fit([_answered(0.0, says=says, variance=0.04) for says in (-3.0, 3.0) * 6])

    assert (tight.sd, wide.sd) == pytest.approx((0.3, 1.0))


def test_a_step_under_the_tests_prior_is_taken_there_and_kept_under_the_labels() -> None:
    item = _answered(1.0, says=2.0, variance=0.25)
    prior = ItemPrior(intercept=0.5, slope=0.5, sd=0.5)

    step = calibration_update_under(item=item, prior=prior, theta=1.0, theta_se=0.3, credit=0.0)

    there = calibration_update(item=estimate_under(item, prior=prior), theta=1.0, theta_se=0.3, credit=0.0)
    again = estimate_under(step, prior=prior)
    assert (again.mean, again.variance, again.n) == pytest.approx((there.mean, there.variance, there.n))
    assert step.variance > there.variance  # kept under the label's wider prior
    plain = calibration_update(item=item, theta=1.0, theta_se=0.3, credit=0.0)
    assert calibration_update_under(item=item, prior=LABELS, theta=1.0, theta_se=0.3, credit=0.0) == plain


def test_an_attempt_with_too_many_answers_too_fast_to_read_calibrates_nothing() -> None:
    read = [30.0] * 9
    assert effortful_attempt(seconds=[*read, 0.9])  # 9 of 10 read: 0.9
    assert not effortful_attempt(seconds=[*read[:8], 0.9, 1.2])  # 8 of 10
    assert effortful_attempt(seconds=[None, None, 0.9, *read[:7]])  # untimed answers count as read
    assert effortful_attempt(seconds=[])


@pytest.mark.django_db
def test_calibration_leaves_out_a_mostly_unread_attempt_and_a_read_attempts_one_fast_answer() -> None:
    test = published_test_with_bank(questions=10, skills=1)
    questions = list(test.questions.order_by("id"))
    unread = attempt_with_answers(test=test, answers=dict.fromkeys(questions, True))
    unread.responses.filter(question__in=questions[:2]).update(time_taken_ms=900)
    read = attempt_with_answers(test=test, answers=dict.fromkeys(questions, False))
    read.responses.filter(question=questions[0]).update(time_taken_ms=900)

    assert attempts_calibrate() == 2

    counts = list(Question.objects.filter(test=test).order_by("id").values_list("calibration_n", flat=True))
    assert counts == [0] + [1] * 9  # the read attempt's, less its one fast answer


@pytest.mark.django_db
def test_the_bank_holds_its_items_under_the_prior_fitted_from_them() -> None:
    test = published_test_with_bank(questions=MIN_ITEMS + 2, skills=1)
    questions = list(test.questions.order_by("id"))
    labels = {"easy": -1.0, "medium": 0.0, "hard": 1.0}
    for i, question in enumerate(questions[:-1]):
        question.difficulty = ("easy", "medium", "hard")[i % 3]
        # The answers say half the label's logit, ± 0.2, as `_answered` builds it.
        estimate = _answered(labels[question.difficulty], says=0.5 * labels[question.difficulty], variance=0.04)
        Question.objects.filter(pk=question.pk).update(
            difficulty=question.difficulty,
            calibrated_difficulty=estimate.mean,
            calibration_se=estimate.se,
            calibration_n=estimate.n,
        )
    unanswered = questions[-1]
    Question.objects.filter(pk=unanswered.pk).update(difficulty="hard")
    # A void question calibrated far off (under a wrong key, say) is left out of the fit.
    void = QuestionFactory(test=test, skill=questions[0].skill, difficulty="easy")
    Question.objects.filter(pk=void.pk).update(calibrated_difficulty=4.0, calibration_se=0.1, calibration_n=90)
    QuestionRegrade.objects.create(question=void, action=QuestionRegrade.Action.VOID)

    bank = bank_for(test=test)

    assert bank.item_prior.slope == pytest.approx(0.5)
    assert bank.item_prior.intercept == pytest.approx(0.0, abs=1e-9)
    assert bank.item_prior.sd == pytest.approx(0.3)  # no spread beyond the answers': the floor
    # A hard item without answers starts at the test's +0.5, not the label's +1.
    assert bank.items[unanswered.pk].logit == 0.5
    # An answered hard item: its answers' 0.5 ± 0.2 with the test's prior 0.5 ± 0.3.
    hard = next(q for q in questions[:-1] if q.difficulty == "hard")
    assert bank.items[hard.pk].calibrated == pytest.approx(0.5)
    assert bank.items[hard.pk].calibration_se == pytest.approx(math.sqrt(1 / (1 / 0.04 + 1 / 0.09)))


@pytest.mark.django_db
def test_a_recompute_refits_the_prior_from_its_own_replay_and_repeats(monkeypatch) -> None:
    monkeypatch.setattr(calibration_service, "BATCH", 10)  # so the prior is refitted between batches
    test = published_test_with_bank(questions=12, skills=1)
    questions = list(test.questions.order_by("id"))
    draw = random.Random(1)
    for k in range(80):  # five levels of candidates, from 20% to 80% right
        attempt_with_answers(test=test, answers={q: draw.random() < 0.2 + 0.15 * (k % 5) for q in questions})
    fields = ("calibrated_difficulty", "calibration_se", "calibrated_discrimination", "calibration_covariance")

    calibration_service.items_recalibrate(test_id=test.pk)
    first = list(Question.objects.filter(test=test).order_by("id").values_list(*fields))
    Test.objects.filter(pk=test.pk).update(bank_version=F("bank_version") + 1)
    fitted = bank_for(test=Test.objects.get(pk=test.pk)).item_prior
    calibration_service.items_recalibrate(test_id=test.pk)
    again = list(Question.objects.filter(test=test).order_by("id").values_list(*fields))

    assert fitted.items >= MIN_ITEMS  # its answers are enough for the test to learn its prior from
    assert again == first
    # And the replay did use a learnt prior: under the labels' throughout, it reaches other estimates.
    monkeypatch.setattr(calibration_service, "item_prior_fit", lambda estimates: LABELS)
    calibration_service.items_recalibrate(test_id=test.pk)
    labels_only = list(Question.objects.filter(test=test).order_by("id").values_list(*fields))
    assert labels_only != first
