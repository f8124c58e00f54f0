"""Adaptive testing: strong candidates get harder items and end with a higher θ; skills stay balanced."""

from collections import Counter
from statistics import mean

import pytest

from assessments.ai.ability import ability_estimate, difficulty_logit
from assessments.models import Assessment, Difficulty, Response
from assessments.tests.factories import (
    QuestionFactory,
    SkillFactory,
    TestFactory,
    attempt_play,
    enrolled_candidate,
    served_key,
)

pytestmark = pytest.mark.django_db

WEIGHTS = {"Python": 2.0, "SQL": 1.0, "HTTP": 1.0}
TOTAL = 8


@pytest.fixture
def adaptive_test():
    test = TestFactory(total_questions=TOTAL, feedback_mode="full")
    for order, (name, weight) in enumerate(WEIGHTS.items()):
        skill = SkillFactory(test=test, name=name, weight=weight, order=order)
        for difficulty in Difficulty.values:
            for _ in range(6):
                QuestionFactory(skill=skill, test=test, difficulty=difficulty)
    return test


def run_attempt(test, *, answers_right: bool) -> Assessment:
    def choose(response: Response, n: int) -> int:
        key = served_key(response)
        return key if answers_right else (key + 1) % len(response.option_order)

    return attempt_play(test=test, user=enrolled_candidate(test=test), choose=choose)


def served_difficulties(assessment: Assessment) -> list[float]:
    return [difficulty_logit(r.question.difficulty) for r in assessment.responses.select_related("question")]


def test_strong_candidate_gets_harder_items_and_a_higher_theta(adaptive_test):
    strong = run_attempt(adaptive_test, answers_right=True)
    weak = run_attempt(adaptive_test, answers_right=False)
    assert mean(served_difficulties(strong)[2:]) > mean(served_difficulties(weak)[2:]) + 1.0
    strong_theta = strong.ai_state["ability"]["overall"]["theta"]
    weak_theta = weak.ai_state["ability"]["overall"]["theta"]
    assert strong_theta > weak_theta + 2.0
    assert strong.ai_state["ability"]["overall"]["se"] < 1.0
    assert set(strong.ai_state["ability"]["skills"]) == set(WEIGHTS)


@pytest.mark.parametrize("answers_right", [True, False])
def test_skill_shares_follow_the_blueprint_within_one_item_and_nothing_repeats(adaptive_test, answers_right):
    assessment = run_attempt(adaptive_test, answers_right=answers_right)
    responses = list(assessment.responses.select_related("question__skill"))
    assert len(responses) == TOTAL
    assert len({r.question_id for r in responses}) == TOTAL
    asked = Counter(r.question.skill.name for r in responses)
    total_weight = sum(WEIGHTS.values())
    for name, weight in WEIGHTS.items():
        assert abs(asked[name] - TOTAL * weight / total_weight) <= 1, asked


def test_se_target_ends_the_attempt_early(adaptive_test):
    adaptive_test.se_target = 0.9
    adaptive_test.total_questions = 30
    adaptive_test.save()
    assessment = run_attempt(adaptive_test, answers_right=True)
    asked = assessment.responses.count()
    assert asked < 30
    assert assessment.status == "completed"
    assert assessment.end_reason == "precision_reached"
    assert (assessment.score, assessment.max_score, assessment.percentage_score) == (asked, asked, 100.0)
    assert all(s["se"] <= 0.9 for s in assessment.ai_state["ability"]["skills"].values())


def test_eap_estimate_moves_with_the_evidence():
    assert ability_estimate([]).theta == pytest.approx(0.0, abs=1e-9)
    assert ability_estimate([]).se == pytest.approx(1.0, abs=0.01)
    right = ability_estimate([(0.0, True)] * 5)
    wrong = ability_estimate([(0.0, False)] * 5)
    assert right.theta > 0.8
    assert wrong.theta == pytest.approx(-right.theta, abs=1e-6)
    assert right.se < 1.0
