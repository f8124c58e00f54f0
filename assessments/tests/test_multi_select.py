"""Questions with several correct options outside the socket: the model's rules, the admin form that
writes them, a regrade that changes their key, a bank that mixes kinds, the tutor's guard and θ."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from assessments.ai.ability import ability_estimate
from assessments.ai.guard import AnswerGuard
from assessments.errors import ApplicationError
from assessments.models import Assessment, Question, QuestionRegrade, Response, Test
from assessments.services.answers import answer_submit
from assessments.services.attempts import assessment_start
from assessments.services.chat import chat_begin
from assessments.services.regrades import question_regrade_apply, question_regrade_plan
from assessments.tests.admin_support import admin_url, fast_password_hasher  # noqa: F401 - autouse
from assessments.tests.factories import (
    QuestionFactory,
    SkillFactory,
    TestFactory,
    candidate_connect,
    enrolled_candidate,
)

pytestmark = pytest.mark.django_db

MULTIPLE = Question.Kind.MULTIPLE


def multiple_question(**fields: Any) -> Question:
    skill = SkillFactory()
    values = {"options": ["GET", "POST", "HEAD", "PATCH"], "kind": MULTIPLE, "correct_options": [2, 0]} | fields
    return QuestionFactory.build(skill=skill, test=skill.test, **values)


# --- the model -------------------------------------------------------------------------------


def test_a_multiple_question_keeps_its_correct_options_sorted_and_the_lowest_as_correct_option() -> None:
    question = multiple_question(correct_option=3)
    question.full_clean()

    assert (question.correct_options, question.correct_option, question.key) == ([0, 2], 0, (0, 2))


@pytest.mark.parametrize(
    ("correct_options", "error"),
    [
        ([1], "at least two correct options and one wrong one"),
        ([0, 1, 2, 3], "at least two correct options and one wrong one"),
        ([0, 0], "distinct option indices"),
        ([0, 4], "distinct option indices from 0 to 3"),
        (["0", "1"], "distinct option indices"),
        ([True, 2], "distinct option indices"),
        ("0,1", "distinct option indices"),
    ],
)
def test_a_multiple_question_needs_two_correct_options_and_one_wrong(correct_options: Any, error: str) -> None:
    question = multiple_question(correct_options=correct_options)

    with pytest.raises(ValidationError, match=error):
        question.full_clean()


def test_a_single_question_lists_no_correct_options() -> None:
    question = multiple_question(kind=Question.Kind.SINGLE, correct_options=[0, 1])

    with pytest.raises(ValidationError, match="only a multiple-choice question"):
        question.full_clean()


# --- the admin form --------------------------------------------------------------------------


def question_post(skill: Any, **fields: Any) -> dict[str, Any]:
    return {
        "test": skill.test_id,
        "skill": skill.pk,
        "prompt": "Which methods are safe?",
        "option_1": "GET",
        "option_2": "POST",
        "option_3": "HEAD",
        "option_4": "PATCH",
        "difficulty": "medium",
        "active": "on",
        **fields,
    }


def test_the_admin_form_creates_a_question_with_several_correct_options(admin_client: Client) -> None:
    skill = SkillFactory(name="HTTP")
    form = admin_client.get(admin_url(Question, "add")).content.decode()
    assert 'type="checkbox" name="keys"' in form

    response = admin_client.post(admin_url(Question, "add"), question_post(skill, kind="multiple", keys=["2", "0"]))

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    question = Question.objects.get(prompt="Which methods are safe?")
    assert (question.kind, question.correct_options, question.correct_option) == (MULTIPLE, [0, 2], 0)
    page = admin_client.get(admin_url(Question, "change", question.pk)).content.decode()
    assert "GET · HEAD" in page  # the correct answer, read-only, names both


@pytest.mark.parametrize(
    ("keys", "error"),
    [
        (["1"], "Tick at least two correct options, and leave at least one wrong."),
        (["0", "1", "2", "3"], "Tick at least two correct options, and leave at least one wrong."),
        (["0", "5"], "Tick correct options only among the ones filled in."),
    ],
)
def test_the_admin_form_refuses_too_few_or_too_many_correct_options(
    admin_client: Client, keys: list[str], error: str
) -> None:
    skill = SkillFactory(name="HTTP")
    response = admin_client.post(admin_url(Question, "add"), question_post(skill, kind="multiple", keys=keys))

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Question.objects.exists()


def test_the_admin_form_without_a_kind_still_makes_a_single_question(admin_client: Client) -> None:
    skill = SkillFactory(name="HTTP")
    response = admin_client.post(admin_url(Question, "add"), question_post(skill, key="1"))

    assert response.status_code == 302
    question = Question.objects.get()
    assert (question.kind, question.correct_option, question.correct_options) == ("single", 1, [])


def test_the_test_form_explains_partial_credit_in_plain_words(admin_client: Client) -> None:
    page = admin_client.get(admin_url(Test, "add")).content.decode()

    assert 'name="multi_select_scoring"' in page
    assert "each right option chosen earns 1/k of the question and each wrong one chosen takes 1/k away" in page


# --- attempts, regrades, a mixed bank ---------------------------------------------------------


def multiple_test(*, policy: str = Test.MultiSelectScoring.PARTIAL, singles: int = 0, multiples: int = 1) -> Test:
    test = TestFactory(total_questions=singles + multiples, multi_select_scoring=policy)
    skill = SkillFactory(test=test, name="HTTP")
    for n in range(multiples):
        QuestionFactory(
            test=test,
            skill=skill,
            options=[f"right a{n}", f"right b{n}", f"right c{n}", f"wrong d{n}"],
            kind=MULTIPLE,
            correct_options=[0, 1, 2],
            correct_option=0,
        )
    for _ in range(singles):
        QuestionFactory(test=test, skill=skill)
    return test


def answer_with(conn: Any, question: dict[str, Any], *, model_indices: list[int]) -> Any:
    """Answer `question` with the options at these indices of the stored options (served as shuffled)."""
    response = Response.objects.get(question_id=question["question_id"])
    served = [response.option_order.index(i) for i in model_indices]
    if question["kind"] == "multiple":
        return answer_submit(conn=conn, question_id=question["question_id"], selected_options=served)
    return answer_submit(conn=conn, question_id=question["question_id"], selected_option=served[0])


def question_of(outcome: Any) -> dict[str, Any]:
    return next(m for m in outcome.messages if m["type"] == "question")["data"]


def test_a_key_change_of_a_multiple_question_rescores_the_attempts_that_saw_it() -> None:
    test = multiple_test()
    conn = candidate_connect(user=enrolled_candidate(test=test), test=test)
    question = question_of(assessment_start(conn=conn))
    answer_with(conn, question, model_indices=[0, 1])  # two of three: 0.67
    assessment = Assessment.objects.get()
    assert (assessment.status, assessment.score) == ("completed", 0.67)
    stored = Question.objects.get(pk=question["question_id"])

    plan = question_regrade_plan(question=stored, action=QuestionRegrade.Action.REKEY, new_correct_options=[0, 1])
    assert [(r.old_score, r.new_score) for r in plan.rescores] == [(0.67, 1)]
    question_regrade_apply(question=stored, action=QuestionRegrade.Action.REKEY, new_correct_options=[1, 0], by=None)

    stored.refresh_from_db()
    assert (stored.correct_options, stored.correct_option) == ([0, 1], 0)
    response = Response.objects.get()
    assert (response.credit, response.is_correct) == (1.0, True)
    assessment.refresh_from_db()
    assert (assessment.score, assessment.percentage_score, assessment.passed) == (1, 100.0, True)


@pytest.mark.parametrize(
    ("new_key", "code"), [([0, 1, 2], "same_key"), ([1], "invalid_key"), ([0, 1, 2, 3], "invalid_key")]
)
def test_a_key_change_of_a_multiple_question_is_a_new_valid_key(new_key: list[int], code: str) -> None:
    question = multiple_test().questions.get()

    with pytest.raises(ApplicationError) as raised:
        question_regrade_plan(question=question, action=QuestionRegrade.Action.REKEY, new_correct_options=new_key)
    assert raised.value.code == code


def test_a_bank_that_mixes_kinds_is_asked_and_scored_whole() -> None:
    test = multiple_test(singles=2, multiples=2)
    conn = candidate_connect(user=enrolled_candidate(test=test), test=test)
    outcome = assessment_start(conn=conn)
    kinds = []
    while not outcome.finished:
        question = question_of(outcome)
        kinds.append(question["kind"])
        key = [0, 1, 2] if question["kind"] == "multiple" else [0]
        outcome = answer_with(conn, question, model_indices=key)

    assert sorted(kinds) == ["multiple", "multiple", "single", "single"]
    completed = next(m for m in outcome.messages if m["type"] == "assessment_completed")["data"]
    assert (completed["score"], completed["max_score"]) == (4, 4)
    ability = Assessment.objects.get().ai_state["ability"]["overall"]
    assert (ability["asked"], ability["correct"]) == (4, 4)


def test_the_tutor_guard_treats_every_correct_option_as_the_key() -> None:
    test = multiple_test()
    conn = candidate_connect(user=enrolled_candidate(test=test), test=test)
    question = question_of(assessment_start(conn=conn))
    turn = chat_begin(conn=conn, message="is b one of them?")
    response = Response.objects.get()

    assert turn.correct_index == response.option_order.index(0)
    assert sorted(turn.other_keys) == sorted(response.option_order.index(i) for i in (1, 2))
    guard = AnswerGuard(
        options=turn.options, correct_index=turn.correct_index, other_keys=turn.other_keys, question_prompt=None
    )
    third_key = f"Yes: {question['options'][response.option_order.index(2)]} is right."
    assert guard.leaks(third_key)
    # A guard that knew only one correct option would have let it through as harmless.
    assert not AnswerGuard(options=turn.options, correct_index=turn.correct_index).leaks(third_key)


def test_partial_credit_moves_ability_between_a_wrong_and_a_right_answer() -> None:
    wrong, half, right = (ability_estimate([(0.0, y)] * 3) for y in (0.0, 0.5, 1.0))

    assert wrong.theta < half.theta < right.theta
    assert half.theta == pytest.approx(0.0, abs=1e-9)  # half credit at θ = b is what the model expects
    assert ability_estimate([(0.0, True)] * 3) == right
    assert (half.asked, half.correct) == (3, 0)
