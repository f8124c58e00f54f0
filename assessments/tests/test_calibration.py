"""Calibration from live answers (`services.calibration`): the online step per answer, the θ each
answer is paired with, the recompute, the live discrimination, and a changed key's replay."""

import io
import math

import pytest
from django.core.management import call_command
from django.db.models import F

from assessments.ai.ability import Answer, ability_estimate
from assessments.models import Assessment, Question, QuestionRegrade, Test
from assessments.psychometrics.calibration import ItemEstimate, calibration_update, moments_add, moments_correlation
from assessments.services.calibration import attempts_calibrate, items_recalibrate
from assessments.tests.backoffice_factories import attempt_with_answers
from assessments.tests.factories import published_test_with_bank

pytestmark = pytest.mark.django_db


def _ended(test: Test, answers: dict[Question, bool], **fields) -> Assessment:
    return attempt_with_answers(test=test, answers=answers, **fields)


# The θ ± SE calibration pairs an answer with: the attempt's estimate from its other answers to the
# skill (the items still at their medium prior, b = 0, a = 1).
AFTER_A_WRONG = ability_estimate([(0.0, False)])
AFTER_A_RIGHT = ability_estimate([(0.0, True)])
NO_OTHER_ANSWER = ability_estimate([])


def test_an_ended_attempt_moves_its_items_by_one_laplace_step_each() -> None:
    test = published_test_with_bank(questions=2, skills=1)
    easy_one, other = test.questions.order_by("id")
    attempt = _ended(test, {easy_one: True, other: False})

    assert attempts_calibrate() == 1

    prior = ItemEstimate.from_prior(0.0)  # medium
    # Each answer with θ from the other one: the right one with θ after a wrong answer, and so on.
    right = calibration_update(item=prior, theta=AFTER_A_WRONG.theta, theta_se=AFTER_A_WRONG.se, credit=1.0)
    wrong = calibration_update(item=prior, theta=AFTER_A_RIGHT.theta, theta_se=AFTER_A_RIGHT.se, credit=0.0)
    easy_one.refresh_from_db()
    other.refresh_from_db()
    assert easy_one.calibrated_difficulty == pytest.approx(right.mean)
    assert right.mean < 0 < wrong.mean  # right: easier; wrong: harder
    assert other.calibrated_difficulty == pytest.approx(wrong.mean)
    assert easy_one.calibration_se == pytest.approx(right.se)
    assert (easy_one.calibration_n, other.calibration_n) == (1, 1)
    attempt.refresh_from_db()
    assert attempt.calibrated_at is not None
    assert attempts_calibrate() == 0  # counted once
    easy_one.refresh_from_db()
    assert easy_one.calibration_n == 1


def test_a_running_attempt_a_void_item_and_a_too_fast_answer_are_left_out() -> None:
    test = published_test_with_bank(questions=3, skills=1)
    q1, q2, q3 = test.questions.order_by("id")
    _ended(test, {q1: True}, status=Assessment.Status.IN_PROGRESS)
    QuestionRegrade.objects.create(question=q2, action=QuestionRegrade.Action.VOID)
    fast = _ended(test, {q2: True, q3: True})
    fast.responses.filter(question=q3).update(time_taken_ms=900)

    assert attempts_calibrate() == 1  # the ended one only
    assert [q.calibration_n for q in test.questions.order_by("id")] == [0, 0, 0]


def test_recalibrating_replays_every_ended_attempt_in_the_order_they_ended() -> None:
    test = published_test_with_bank(questions=2, skills=1)
    question, other = test.questions.order_by("id")
    first = _ended(test, {question: True, other: False}, minutes=1)
    second = _ended(test, {question: False, other: True}, minutes=5)
    assert first.ended_at is not None
    assert second.ended_at is not None
    assert first.ended_at < second.ended_at
    heard: list[tuple[int, int]] = []

    done = items_recalibrate(test_id=test.pk, progress=lambda n, total: heard.append((n, total)))

    expected = ItemEstimate.from_prior(0.0)
    for ability, credit in ((AFTER_A_WRONG, 1.0), (AFTER_A_RIGHT, 0.0)):
        expected = calibration_update(item=expected, theta=ability.theta, theta_se=ability.se, credit=credit)
    question.refresh_from_db()
    assert question.calibrated_difficulty == pytest.approx(expected.mean)
    assert question.calibration_se == pytest.approx(expected.se)
    assert question.calibrated_discrimination == pytest.approx(expected.discrimination)
    assert question.discrimination_se == pytest.approx(expected.discrimination_se)
    assert question.calibration_covariance == pytest.approx(expected.covariance)
    assert (done.attempts, done.answers, done.items) == (2, 4, 2)
    assert heard == [(2, 2)]
    assert attempts_calibrate() == 0  # recalibrated attempts are not counted again
    # The other question calibrated far off, as if by an earlier, different replay: a recompute starts
    # it over too, so the θ it gives the first question is the prior's again, and the result repeats.
    Question.objects.filter(pk=other.pk).update(calibrated_difficulty=2.0, calibration_se=0.2)
    Test.objects.filter(pk=test.pk).update(bank_version=F("bank_version") + 1)
    again = items_recalibrate(test_id=test.pk)
    question.refresh_from_db()
    assert (again.answers, question.calibration_n) == (4, 2)  # from the prior again, not on top
    assert question.calibrated_difficulty == pytest.approx(expected.mean)
    assert question.calibrated_discrimination == pytest.approx(expected.discrimination)


def test_the_live_discrimination_is_the_correlation_of_ability_and_credit() -> None:
    test = published_test_with_bank(questions=2, skills=1)
    question, other = test.questions.order_by("id")
    for other_right, right in ((False, False), (True, False), (True, True)):
        _ended(test, {other: other_right, question: right})

    attempts_calibrate()

    question.refresh_from_db()
    # θ from the other answer: (-t, t, t), with y = (0, 0, 1). x̄ = t/3, ȳ = 1/3: Σ(x-x̄)(y-ȳ) = 2t/3,
    # Σ(x-x̄)² = 24t²/9, Σ(y-ȳ)² = 6/9, so r = (2/3) / (12/9) = 0.5 whatever t is.
    assert question.live_discrimination == pytest.approx(0.5)
    assert question.calibration_moments["n"] == 3
    assert question.calibration_moments["sx"] == pytest.approx(AFTER_A_WRONG.theta + 2 * AFTER_A_RIGHT.theta)


def test_running_sums_give_pearsons_r_and_none_without_spread() -> None:
    moments: dict[str, float] = {}
    for theta, y in ((1.0, 0.0), (2.0, 1.0), (3.0, 0.0), (4.0, 1.0)):
        moments = moments_add(moments, theta=theta, credit=y)
    # x̄ 2.5, ȳ 0.5: Σ(x-x̄)(y-ȳ) = 1, Σ(x-x̄)² = 5, Σ(y-ȳ)² = 1.
    assert moments_correlation(moments) == pytest.approx(1 / math.sqrt(5))
    assert moments_correlation(moments_add({}, theta=1.0, credit=1.0)) is None
    same = moments_add(moments_add({}, theta=1.0, credit=1.0), theta=2.0, credit=1.0)
    assert moments_correlation(same) is None  # everyone right: no spread in y


def test_the_expiry_loop_calibrates_what_ended() -> None:
    test = published_test_with_bank(questions=1, skills=1)
    (question,) = test.questions.all()
    _ended(test, {question: True})
    out = io.StringIO()

    call_command("expire_assessments", stdout=out)

    assert "calibrated the questions of 1 ended attempt(s)" in out.getvalue()
    question.refresh_from_db()
    assert question.calibration_n == 1


def test_a_changed_key_replays_the_items_calibration_with_the_new_credits() -> None:
    """Its difficulty was measured against the wrong key: after the regrade it is as if the answers had
    always been scored with the right one."""
    from assessments.services.regrades import question_regrade_apply
    from assessments.tests.backoffice_factories import wrong_option

    test = published_test_with_bank(questions=1, skills=1)
    (question,) = test.questions.all()
    for _ in range(3):  # everyone chose the option the old key calls wrong: it looks very hard
        _ended(test, {question: False})
    attempts_calibrate()
    question.refresh_from_db()
    assert question.calibrated_difficulty is not None
    assert question.calibrated_difficulty > 0

    question_regrade_apply(
        question=question, action=QuestionRegrade.Action.REKEY, new_correct_option=wrong_option(question), by=None
    )

    question.refresh_from_db()
    expected = ItemEstimate.from_prior(0.0)
    for _ in range(3):  # each attempt's only answer, now right (θ from no other answer: the prior's)
        expected = calibration_update(
            item=expected, theta=NO_OTHER_ANSWER.theta, theta_se=NO_OTHER_ANSWER.se, credit=1.0
        )
    assert question.calibrated_difficulty == pytest.approx(expected.mean)
    assert question.calibrated_difficulty < 0
    assert question.calibration_n == 3


def test_a_changed_key_replays_with_theta_from_the_attempts_other_questions() -> None:
    from assessments.services.regrades import question_regrade_apply
    from assessments.tests.backoffice_factories import wrong_option

    test = published_test_with_bank(questions=2, skills=1)
    question, other = test.questions.order_by("id")
    for other_right in (True, False, True):
        _ended(test, {question: False, other: other_right})
    attempts_calibrate()

    question_regrade_apply(
        question=question, action=QuestionRegrade.Action.REKEY, new_correct_option=wrong_option(question), by=None
    )

    # Each attempt's answer to it, now right, with θ from its answer to the other question (still at
    # its prior: three answers leave its SE over 0.5).
    expected = ItemEstimate.from_prior(0.0)
    for ability in (AFTER_A_RIGHT, AFTER_A_WRONG, AFTER_A_RIGHT):
        expected = calibration_update(item=expected, theta=ability.theta, theta_se=ability.se, credit=1.0)
    question.refresh_from_db()
    other.refresh_from_db()
    assert question.calibrated_difficulty == pytest.approx(expected.mean)
    assert question.calibration_covariance == pytest.approx(expected.covariance)
    assert question.calibration_n == 3
    assert other.calibration_n == 3  # the other question is not replayed


def test_each_answer_is_paired_with_theta_from_the_attempts_other_answers_to_its_skill() -> None:
    from assessments.services.calibration import skill_abilities_without_each

    answers: list[tuple[int, Answer]] = [(1, (0.0, True)), (2, (1.0, False)), (1, (-1.0, False, 1.5)), (1, (0.5, 0.5))]

    paired = skill_abilities_without_each(answers=answers)

    expected = [
        ability_estimate([(-1.0, False, 1.5), (0.5, 0.5)]),
        ability_estimate([]),  # the only answer to skill 2: nothing else to say where the candidate is
        ability_estimate([(0.0, True), (0.5, 0.5)]),
        ability_estimate([(0.0, True), (-1.0, False, 1.5)]),
    ]
    for got, want in zip(paired, expected, strict=True):
        assert (got.theta, got.se) == pytest.approx((want.theta, want.se))
        assert (got.asked, got.correct) == (want.asked, want.correct)
    assert paired[0].theta < paired[2].theta  # a wrong answer elsewhere puts the right one lower
