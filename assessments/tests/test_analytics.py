"""Item analysis, distributions and SVG charts on small data sets computed by hand."""

import math
import statistics
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from assessments.charts import histogram_svg
from assessments.models import Assessment, Question, QuestionRegrade, Test
from assessments.selectors.distributions import Bin, histogram, score_distribution, time_distribution
from assessments.selectors.item_analysis import FLAG_MIN_ANSWERS, blueprint_item_analysis, point_biserial
from assessments.tests.backoffice_factories import XSS, XSS_ESCAPED, attempt_with_answers
from assessments.tests.factories import QuestionFactory, SkillFactory, TestFactory

pytestmark = pytest.mark.django_db

# Five finished attempts (A-E) at seven questions. 1 right, 0 wrong, None asked but not answered.
#            Q1 Q2 Q3 Q4 Q5 Q6 Q7
ANSWERS: dict[str, list[int | None]] = {
    "A": [1, 1, 1, 0, 1, 0, 1],
    "B": [1, 1, 0, 0, 1, 0, 1],
    "C": [1, 0, 0, 1, 1, 0, 1],
    "D": [0, 1, 0, 1, 1, 0, 0],
    "E": [0, 0, 0, 1, 1, 0, None],
}
# Worked by hand: totals (right answers) A 5, B 4, C 4, D 3, E 2.
# Q1: x = 1 1 1 0 0, rest scores (total - x) = 4 3 3 3 2; p = 0.6; mean rest 3.0; population SD
#     sqrt((1 + 0 + 0 + 0 + 1) / 5) = sqrt(0.4); M1 = 10/3, M0 = 5/2;
#     r = (10/3 - 5/2) / sqrt(0.4) * sqrt(0.24) = (5/6) * sqrt(0.6) = 0.6455
# Q2: x = 1 1 0 1 0, rest = 4 3 4 2 2; mean 3.0; SD sqrt((1 + 0 + 1 + 1 + 1) / 5) = sqrt(0.8);
#     M1 = 3, M0 = 3; r = 0
# Q3: x = 1 0 0 0 0, rest = 4 4 4 3 2; p = 0.2; mean 3.4; SD sqrt((.36*3 + .16 + 1.96) / 5) = sqrt(0.64) = 0.8;
#     M1 = 4, M0 = 13/4; r = 0.75 / 0.8 * 0.4 = 0.375
# Q4: x = 0 0 1 1 1, rest = 5 4 3 2 1; p = 0.6; mean 3; SD sqrt(2); M1 = 2, M0 = 4.5;
#     r = -2.5 / sqrt(2) * sqrt(0.24) = -0.8660  (negative: flagged)
# Q5: everyone right: facility 1.0 (> 0.95: flagged), r undefined
# Q6: everyone wrong: facility 0.0 (< 0.1: flagged), r undefined
# Q7: asked 5 times, answered 4: x = 1 1 1 0, rest = 4 3 3 3; p = 0.75; mean 3.25; SD sqrt(0.1875);
#     M1 = 10/3, M0 = 3; r = (1/3) / sqrt(0.1875) * sqrt(0.1875) = 0.3333
EXPECTED = {
    # question: (asked, answered, correct, facility, discrimination, flags)
    1: (5, 5, 3, 0.6, 5 / 6 * math.sqrt(0.6), []),
    2: (5, 5, 3, 0.6, 0.0, []),
    3: (5, 5, 1, 0.2, 0.375, []),
    4: (5, 5, 3, 0.6, -2.5 / math.sqrt(2) * math.sqrt(0.24), ["negative discrimination"]),
    5: (5, 5, 5, 1.0, None, ["facility over 0.95"]),
    6: (5, 5, 0, 0.0, None, ["facility under 0.1"]),
    7: (5, 4, 3, 0.75, 1 / 3, []),
}


@pytest.fixture
def analysed() -> tuple[Test, list[Question]]:
    test = TestFactory.create(total_questions=7)
    skill = SkillFactory.create(test=test, name="analysis")
    questions = [QuestionFactory.create(test=test, skill=skill, prompt=f"Q{i + 1}") for i in range(7)]
    for name, marks in ANSWERS.items():
        answers = {q: (None if m is None else bool(m)) for q, m in zip(questions, marks, strict=True)}
        attempt_with_answers(test=test, answers=answers, candidate=None, end_reason=name)
    # A running attempt is left out of the analysis.
    attempt_with_answers(test=test, answers={questions[0]: False}, status=Assessment.Status.IN_PROGRESS)
    return test, questions


def test_point_biserial_matches_pearson_and_hand_values() -> None:
    item = [1, 1, 1, 0, 0]
    rest = [4.0, 3.0, 3.0, 3.0, 2.0]
    assert point_biserial(item, rest) == pytest.approx(statistics.correlation([float(x) for x in item], rest))
    assert point_biserial(item, rest) == pytest.approx(0.645497, abs=1e-6)
    assert point_biserial([1, 1], [1.0, 2.0]) is None  # everyone right
    assert point_biserial([1, 0], [2.0, 2.0]) is None  # no spread in rest scores
    assert point_biserial([1], [2.0]) is None
    assert point_biserial([], []) is None


def test_item_analysis_numbers_on_a_hand_computed_set(analysed: tuple[Test, list[Question]]) -> None:
    test, questions = analysed

    stats = {questions.index(Question.objects.get(pk=s.question_id)) + 1: s for s in blueprint_item_analysis(test=test)}

    assert set(stats) == set(EXPECTED)
    for number, (asked, answered, correct, facility, discrimination, flags) in EXPECTED.items():
        item = stats[number]
        assert (item.asked, item.answered, item.correct) == (asked, answered, correct), number
        assert item.facility == pytest.approx(facility), number
        if discrimination is None:
            assert item.discrimination is None, number
        else:
            assert item.discrimination == pytest.approx(discrimination, abs=1e-9), number
        assert item.flags == flags, number
    assert stats[1].discrimination == pytest.approx(0.6455, abs=1e-4)
    assert stats[4].discrimination == pytest.approx(-0.8660, abs=1e-4)


def test_a_void_question_leaves_every_total(analysed: tuple[Test, list[Question]]) -> None:
    test, questions = analysed
    QuestionRegrade.objects.create(question=questions[0], action=QuestionRegrade.Action.VOID)

    stats = {s.question_id: s for s in blueprint_item_analysis(test=test)}

    assert stats[questions[0].pk].void
    # Totals without Q1: A 4, B 3, C 3, D 3, E 2; Q4 rest = 4 3 2 2 1, p = 0.6, mean 2.4,
    # SD sqrt((2.56 + .36 + .16 + .16 + 1.96) / 5) = sqrt(1.04); M1 = 5/3, M0 = 3.5.
    expected = (5 / 3 - 3.5) / math.sqrt(1.04) * math.sqrt(0.24)
    assert stats[questions[3].pk].discrimination == pytest.approx(expected)
    # The void item's own correlation uses the totals it is not part of: rest = total.
    assert stats[questions[0].pk].discrimination == pytest.approx(
        statistics.correlation([1.0, 1.0, 1.0, 0.0, 0.0], [4.0, 3.0, 3.0, 3.0, 2.0])
    )


def test_histogram_bins_are_half_open_and_the_top_is_included() -> None:
    bins = histogram([0, 9.99, 10, 55, 100, 100, 120, -5], lower=0, upper=100, bins=10, unit="%")

    assert [b.count for b in bins] == [3, 1, 0, 0, 0, 1, 0, 0, 0, 3]
    assert bins[0].label == "0-10%"
    assert bins[-1].label == "90-100%"


def test_score_and_time_distributions() -> None:
    test = TestFactory.create()
    skill = SkillFactory.create(test=test)
    question = QuestionFactory.create(test=test, skill=skill)
    for percentage, minutes in ((0.0, 1.5), (9.99, 3), (10.0, 12), (55.0, 3.5), (100.0, 5)):
        attempt = attempt_with_answers(test=test, answers={question: True}, minutes=minutes)
        Assessment.objects.filter(pk=attempt.pk).update(percentage_score=percentage)
    attempt_with_answers(test=test, answers={question: True}, status=Assessment.Status.IN_PROGRESS)

    scores = score_distribution(test=test)
    times = time_distribution(test=test)

    assert [b.count for b in scores] == [2, 1, 0, 0, 0, 1, 0, 0, 0, 1]
    # Longest 12 minutes: bins 2 minutes wide; 1.5 | 3, 3.5 | 5 | 12
    assert times[0].upper == 2
    assert [b.count for b in times] == [1, 2, 1, 0, 0, 0, 1, 0, 0, 0]


def test_svg_histogram_escapes_labels_and_scales_bars() -> None:
    bins = [Bin(label=XSS, lower=0, upper=1, count=4), Bin(label="b", lower=1, upper=2, count=2)]

    svg = str(histogram_svg(bins=bins, title=f"T {XSS}", x_label="x"))

    assert svg.startswith("<svg")
    assert XSS not in svg
    assert XSS_ESCAPED in svg
    assert svg.count("<rect") == 2
    assert f"<title>{XSS_ESCAPED}: 4</title>" in svg


def test_empty_distribution_draws_an_empty_chart() -> None:
    svg = str(histogram_svg(bins=histogram([], lower=0, upper=100, bins=10), title="none", x_label="x"))
    assert svg.count("<rect") == 10
    assert 'height="0.0"' in svg


def test_analytics_page_shows_charts_and_item_table(
    admin_client: Client, analysed: tuple[Test, list[Question]]
) -> None:
    test, _questions = analysed

    page = admin_client.get(reverse("admin:assessments_test_analytics", args=[test.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="jatayu-chart"') == 2
    assert "Score distribution" in html
    assert "Time taken" in html
    assert 'id="item-analysis"' in html
    assert html.count('<tr data-question="') == 7
    assert "negative discrimination" in html
    assert "facility over 0.95" in html
    assert "-0.866" in html  # Q4, three decimals
    assert "0.645" in html  # Q1: 0.6455


def test_analytics_page_escapes_prompts(admin_client: Client) -> None:
    test = TestFactory.create()
    question = QuestionFactory.create(test=test, skill=SkillFactory.create(test=test), prompt=f"Pick {XSS}")
    attempt_with_answers(test=test, answers={question: True})

    html = admin_client.get(reverse("admin:assessments_test_analytics", args=[test.pk])).content.decode()

    assert XSS not in html
    assert XSS_ESCAPED in html


def test_time_distribution_without_attempts_uses_the_time_limit() -> None:
    test = TestFactory.create(time_limit_minutes=45)
    bins = time_distribution(test=test)
    assert len(bins) == 10
    assert bins[0].upper == 5
    assert sum(b.count for b in bins) == 0
    assert timedelta(minutes=bins[-1].upper) == timedelta(minutes=50)


def test_a_question_is_flagged_only_once_it_has_enough_answers(admin_client: Client) -> None:
    test = TestFactory.create(total_questions=1)
    question = QuestionFactory.create(test=test, skill=SkillFactory.create(test=test), prompt="Hard one")
    attempt_with_answers(test=test, answers={question: False}, candidate=None)  # one wrong answer: facility 0

    (alone,) = blueprint_item_analysis(test=test)
    assert (alone.facility, alone.flags, alone.too_few_to_judge) == (0.0, [], True)
    page = admin_client.get(reverse("admin:assessments_test_analytics", args=[test.pk])).content.decode()
    assert "not judged yet (1 of 5 answers)" in page

    for _ in range(FLAG_MIN_ANSWERS - 1):
        attempt_with_answers(test=test, answers={question: False}, candidate=None)
    (judged,) = blueprint_item_analysis(test=test)
    assert (judged.answered, judged.flags) == (FLAG_MIN_ANSWERS, ["facility under 0.1"])
