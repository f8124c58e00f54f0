"""The measurement rules on small hand-computed data: the online calibration step, exposure control,
the rapid-guess threshold and the lz person-fit statistic (assessments/psychometrics)."""

import math

import pytest

from assessments.psychometrics.calibration import TRUSTED_SE, ItemEstimate, calibration_update
from assessments.psychometrics.exposure import MIN_ATTEMPTS, exposure_eligible
from assessments.psychometrics.response_times import (
    misfits,
    person_fit_lz,
    rapid_guess,
    rapid_threshold,
    response_seconds,
)


def test_one_calibration_step_by_hand() -> None:
    # Prior N(0, 1); a candidate at θ = 0 known exactly (SE 0) answers right: p = 0.5, information 0.25.
    item = ItemEstimate.from_prior(0.0)

    right = calibration_update(item=item, theta=0.0, theta_se=0.0, credit=1.0)
    wrong = calibration_update(item=item, theta=0.0, theta_se=0.0, credit=0.0)

    assert right.variance == pytest.approx(1 / 1.25)  # precision 1 + 0.25
    assert right.mean == pytest.approx((0.5 - 1.0) / 1.25)  # -0.4: a right answer makes it easier
    assert wrong.mean == pytest.approx(0.4)
    assert (right.n, right.prior) == (1, 0.0)


def test_one_two_parameter_step_by_hand() -> None:
    # Prior b ~ N(0, 1), ln a ~ N(0, 0.09), uncorrelated. A candidate at θ = 1 (SE 0) answers right:
    # p = logistic(1) = 0.73106, w = p(1 - p) = 0.19661, g = (-1, 1), u = Σg = (-1, 0.09),
    # s = gᵀΣg = 1.09, 1 + ws = 1.21431, (y - p) / (1 + ws) = 0.22148.
    item = ItemEstimate.from_prior(0.0)

    step = calibration_update(item=item, theta=1.0, theta_se=0.0, credit=1.0)

    assert step.mean == pytest.approx(-0.22148, abs=1e-5)  # easier
    assert step.log_discrimination == pytest.approx(0.01993, abs=1e-5)  # a strong candidate right: steeper
    assert step.variance == pytest.approx(1 - 0.19661 / 1.21431, abs=1e-5)
    assert step.log_discrimination_variance == pytest.approx(0.09 - 0.0081 * 0.19661 / 1.21431, abs=1e-6)
    assert step.covariance == pytest.approx(0.09 * 0.19661 / 1.21431, abs=1e-6)
    # The same answer from a candidate at the item's difficulty says nothing about its slope.
    level = calibration_update(item=item, theta=0.0, theta_se=0.0, credit=1.0)
    assert (level.log_discrimination, level.covariance) == (0.0, 0.0)


def test_the_candidates_uncertainty_weakens_the_slope_step_as_kappa_cubed() -> None:
    # θ = 1 with SE² = 8/π, so κ = 1/sqrt(1 + π SE²/8) = 0.70711; the logit κ a (θ - b) moves with ln a
    # as κ³ a (θ - b) = 0.35355 (κ shrinks as a grows). p = logistic(0.70711) = 0.66976, w = 0.22118,
    # g = (-0.70711, 0.35355), u = (-0.70711, 0.03182), s = 0.51125, 1 + ws = 1.11308,
    # (y - p) / (1 + ws) = 0.29669.
    item = ItemEstimate.from_prior(0.0)

    step = calibration_update(item=item, theta=1.0, theta_se=math.sqrt(8 / math.pi), credit=1.0)

    assert step.mean == pytest.approx(-0.20979, abs=1e-5)
    assert step.log_discrimination == pytest.approx(0.0094406, abs=1e-6)  # with κ instead of κ³: 0.0188


def test_calibration_recovers_a_steep_item_and_a_flat_one() -> None:
    # Expected-value responses from candidates spread over θ, for items of b = 0.3 with a = 1.8 and 0.6.
    thetas = [(-2.5 + 5 * i / 199) for i in range(200)] * 3
    for true_a in (1.8, 0.6):
        item = ItemEstimate.from_prior(0.0)
        for theta in thetas:
            credit = 1 / (1 + math.exp(-true_a * (theta - 0.3)))
            item = calibration_update(item=item, theta=theta, theta_se=0.0, credit=credit)
        assert item.discrimination == pytest.approx(true_a, rel=0.1)
        assert item.mean == pytest.approx(0.3, abs=0.1)
        assert item.trusted


def test_the_candidates_own_uncertainty_weakens_the_step() -> None:
    item = ItemEstimate.from_prior(0.0)
    kappa = 1 / math.sqrt(1 + math.pi * 1.0 / 8)

    blurred = calibration_update(item=item, theta=0.0, theta_se=1.0, credit=1.0)

    assert blurred.mean == pytest.approx(kappa * (0.5 - 1.0) / (1 + kappa * kappa * 0.25))
    assert abs(blurred.mean) < 0.4


def test_calibration_converges_to_the_true_difficulty_and_then_is_trusted() -> None:
    # Expected-value responses (credit = the true probability) from candidates spread over θ.
    true_b = 0.8
    item = ItemEstimate.from_prior(-0.5)
    thetas = [(-2 + 4 * i / 199) for i in range(200)] * 2
    for theta in thetas:
        item = calibration_update(item=item, theta=theta, theta_se=0.3, credit=1 / (1 + math.exp(-(theta - true_b))))

    assert item.mean == pytest.approx(true_b, abs=0.1)
    assert item.se < TRUSTED_SE
    assert item.drifted  # 1.3 logits from its prior of -0.5
    assert not ItemEstimate.from_prior(-0.5).trusted


def test_exposure_control_leaves_out_items_at_the_maximum_rate() -> None:
    shown = {1: 3, 2: 2, 3: 0}

    assert exposure_eligible(items=[1, 2, 3], shown=shown, attempts=MIN_ATTEMPTS, max_rate=0.3) == {2, 3}
    # The tenth attempt choosing: (2 + 1) / 10 = 0.3 is allowed; (3 + 1) / 10 = 0.4 is not.
    assert exposure_eligible(items=[1, 2, 3], shown=shown, attempts=3, max_rate=0.3) == {1, 2, 3}  # too few yet
    assert exposure_eligible(items=[1], shown={1: 9}, attempts=10, max_rate=0.3) == {1}  # never none at all


def test_the_rapid_guess_threshold_is_a_tenth_of_the_median_within_bounds() -> None:
    assert rapid_threshold(median_seconds=40) == 4.0
    assert rapid_threshold(median_seconds=5) == 1.5  # the floor
    assert rapid_threshold(median_seconds=300) == 10.0  # the ceiling
    assert rapid_threshold(median_seconds=None) == 1.5
    assert rapid_guess(seconds=3.9, median_seconds=40)
    assert not rapid_guess(seconds=4.0, median_seconds=40)
    assert response_seconds(sent_to_received_ms=5200, round_trip_ms=200) == 5.0
    assert response_seconds(sent_to_received_ms=100, round_trip_ms=300) == 0.0
    assert response_seconds(sent_to_received_ms=9000, round_trip_ms=8000) == 7.0  # one slow pong: 2 s at most


def test_lz_by_hand_and_the_misfit_flag() -> None:
    # Five items at b = 0 answered by θ = 0: p = 0.5 each, so log-odds 0 and variance 0: undefined.
    assert person_fit_lz(theta=0.0, responses=[(0.0, 1.0)] * 5) is None
    # θ = 0, items at -2 and +2: p = 0.881 and 0.119.
    p = 1 / (1 + math.exp(-2))
    lo = math.log(p / (1 - p))  # 2
    aberrant = [(-2.0, 0.0), (2.0, 1.0)] * 3  # misses the easy ones, gets the hard ones
    l0 = 6 * math.log(1 - p)
    expected = 6 * (p * math.log(p) + (1 - p) * math.log(1 - p))
    variance = 6 * p * (1 - p) * lo * lo

    lz = person_fit_lz(theta=0.0, responses=aberrant)

    assert lz == pytest.approx((l0 - expected) / math.sqrt(variance))
    assert misfits(lz)
    normal = person_fit_lz(theta=0.0, responses=[(-2.0, 1.0), (2.0, 0.0)] * 3)
    assert normal is not None
    assert normal > 0
    assert not misfits(normal)
    assert person_fit_lz(theta=0.0, responses=[(-2.0, 0.0)] * 4) is None  # too few to judge
