"""Recruiters see each question's calibration, exposure and review flags in the admin: prior against
calibrated difficulty with its SE and n, the share of attempts that saw it, and a filter for the
questions flagged for review."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Question
from assessments.tests.admin_support import changelist
from assessments.tests.backoffice_factories import attempt_with_answers
from assessments.tests.factories import published_test_with_bank

pytestmark = pytest.mark.django_db


@pytest.fixture
def calibrated():
    """A test of three questions and four attempts: `drifted` seen in all four and calibrated far from
    its prior, `settled` seen in one and calibrated near it, `fresh` never answered."""
    test = published_test_with_bank(questions=3, skills=1, max_exposure_rate=0.5)
    drifted, settled, fresh = test.questions.order_by("id")
    attempt_with_answers(test=test, answers={drifted: True, settled: True})
    for _ in range(3):
        attempt_with_answers(test=test, answers={drifted: False})
    Question.objects.filter(pk=drifted.pk).update(
        calibrated_difficulty=1.42,
        calibration_se=0.21,
        calibration_n=180,
        calibrated_discrimination=1.31,
        discrimination_se=0.12,
    )
    Question.objects.filter(pk=settled.pk).update(calibrated_difficulty=0.1, calibration_se=0.5, calibration_n=3)
    return test, drifted, settled, fresh


def test_the_list_shows_prior_calibrated_se_n_exposure_and_flags(admin_client: Client, calibrated) -> None:
    test = calibrated[0]

    page = admin_client.get(changelist("question"), {"test__id__exact": str(test.pk)}).content.decode()

    assert "+0.00 → +1.42 ± 0.21, discrimination 1.31 ± 0.12, n 180 (in use)" in page
    assert "+0.00 → +0.10 ± 0.50, n 3 (not yet used: SE not under 0.5)" in page
    assert "+0.00 (no answers yet)" in page
    assert "100% of 4 (over the maximum)" in page  # drifted: in every attempt, the test allows half
    assert "25% of 4<" in page  # settled
    assert "moved over 1 logit from its prior" in page


def test_the_review_filter_keeps_only_flagged_questions(admin_client: Client, calibrated) -> None:
    _, drifted, settled, fresh = calibrated
    Question.objects.filter(pk=fresh.pk).update(calibration_n=25, live_discrimination=-0.3)

    page = admin_client.get(changelist("question"), {"review": "flagged"}).content.decode()

    assert drifted.prompt in page
    assert fresh.prompt in page  # negative discrimination over 25 answers
    assert settled.prompt not in page
    assert "negative discrimination" in page


def test_the_change_page_shows_the_calibration_and_the_add_page_does_not_fail(admin_client: Client, calibrated) -> None:
    _, drifted, _, _ = calibrated

    page = admin_client.get(reverse("admin:assessments_question_change", args=[drifted.pk])).content.decode()
    added = admin_client.get(reverse("admin:assessments_question_add"))

    assert "+0.00 → +1.42 ± 0.21, discrimination 1.31 ± 0.12, n 180 (in use)" in page
    assert "100% of 4 (over the maximum)" in page
    assert added.status_code == 200


def test_once_the_test_has_learnt_its_prior_the_list_shows_each_item_under_it(admin_client: Client) -> None:
    # Eleven medium questions whose answers put them at +1 ± 0.2: the test learns that its "medium"
    # means +1 (the answers' spread is no more than their noise, so its SD is the floor, 0.3).
    test = published_test_with_bank(questions=12, skills=1)
    *answered, _unanswered = test.questions.order_by("id")
    # Under the label's prior N(0, 1) with answers saying 1 ± 0.2: precision 26, mean 25 / 26.
    Question.objects.filter(pk__in=[q.pk for q in answered]).update(
        calibrated_difficulty=25 / 26, calibration_se=(1 / 26) ** 0.5, calibration_n=40
    )

    page = html.unescape(admin_client.get(changelist("question"), {"test__id__exact": str(test.pk)}).content.decode())

    # Under the test's prior N(1, 0.3²): precision 25 + 11.1, mean 1, SE 0.17.
    assert "+0.00 → +0.96 ± 0.20, n 40 (+1.00 ± 0.17 under the test's prior, in use)" in page
    assert "+0.00 (no answers yet; starts at +1.00, the test's prior)" in page
