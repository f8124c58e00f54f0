"""Questions with several correct options over the socket: `selected_options`, the credit each policy
gives, refusals of the wrong shape, and a resent answer stored once."""

from typing import Any

import pytest

from assessments.models import Assessment, Question, Response, Test
from assessments.tests.factories import (
    QuestionFactory,
    SkillFactory,
    TestFactory,
    enrolled_candidate,
    published_test_with_bank,
)
from testsupport.sockets import Started, attempt_started, db
from testsupport.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)

# Three correct options of four: under `partial` each one is worth a third of the question.
OPTIONS = ["right a", "right b", "right c", "wrong d"]
PARTIAL, ALL_OR_NOTHING = Test.MultiSelectScoring.PARTIAL, Test.MultiSelectScoring.ALL_OR_NOTHING


def multiple_test(*, policy: str, total: int = 1, feedback_mode: str = Test.FeedbackMode.CORRECTNESS) -> Test:
    test = TestFactory(total_questions=total, multi_select_scoring=policy, feedback_mode=feedback_mode)
    skill = SkillFactory(test=test, name="HTTP")
    for n in range(total):
        QuestionFactory(
            test=test,
            skill=skill,
            prompt=f"Which of these are right ({n})?",
            options=[f"{o} {n}" for o in OPTIONS],
            kind=Question.Kind.MULTIPLE,
            correct_options=[0, 1, 2],
            correct_option=0,
        )
    return test


async def started(ws_clients: Any, **kwargs: Any) -> Started:
    test = await db(multiple_test)(**kwargs)
    user = await db(enrolled_candidate)(test=test)
    return await attempt_started(ws_clients, test=test, user=user)


def served(question: dict[str, Any], *prefixes: str) -> list[int]:
    """The served indices of the options whose text starts with one of `prefixes`."""
    return [i for i, text in enumerate(question["data"]["options"]) if text.startswith(prefixes)]


def answer(question: dict[str, Any], chosen: list[int]) -> dict[str, Any]:
    return {"question_id": question["data"]["question_id"], "selected_options": chosen}


async def test_a_multiple_question_says_so_and_how_the_test_scores_it(ws_clients):
    s = await started(ws_clients, policy=PARTIAL)

    assert s.question["data"]["kind"] == "multiple"
    assert s.question["data"]["scoring"] == "partial"
    assert "correct_options" not in s.question["data"]


@pytest.mark.parametrize("policy", [PARTIAL, ALL_OR_NOTHING])
async def test_every_correct_option_and_no_wrong_one_earns_the_whole_question(ws_clients, policy):
    s = await started(ws_clients, policy=policy)
    await s.client.send("submit_answer", answer(s.question, served(s.question, "right")), id="a1")

    feedback, progress, done = await s.client.expect("answer_feedback", "progress_update", "assessment_completed")
    assert (feedback["data"]["correct"], feedback["data"]["credit"]) == (True, 1.0)
    assert progress["data"]["score"] == 1
    assert (done["data"]["score"], done["data"]["max_score"], done["data"]["passed"]) == (1, 1, True)


async def test_two_of_three_correct_options_earn_two_thirds_under_partial_credit(ws_clients):
    s = await started(ws_clients, policy=PARTIAL)
    chosen = served(s.question, "right a", "right b")
    await s.client.send("submit_answer", answer(s.question, chosen), id="a1")

    feedback, progress, done = await s.client.expect("answer_feedback", "progress_update", "assessment_completed")
    assert feedback["data"] == {
        "question_id": s.question["data"]["question_id"],
        "accepted": True,
        "correct": False,
        "credit": 0.6667,
    }
    assert progress["data"]["score"] == 0.67
    assert (done["data"]["score"], done["data"]["max_score"], done["data"]["percentage_score"]) == (0.67, 1, 67.0)
    assert done["data"]["passed"] is True  # 67 % against the pass mark of 60 %
    response = await db(Response.objects.get)(question_id=s.question["data"]["question_id"])
    assert (response.selected_options, response.selected_option) == ([0, 1], 0)
    assert (response.credit, response.is_correct) == (0.6667, False)
    assessment = await db(Assessment.objects.get)(pk=s.started["data"]["assessment_id"])
    assert (assessment.score, assessment.percentage_score) == (0.67, 67.0)


async def test_a_wrong_option_chosen_takes_a_third_away_under_partial_credit(ws_clients):
    s = await started(ws_clients, policy=PARTIAL, total=2)
    chosen = served(s.question, "right a", "right b", "wrong")
    await s.client.send("submit_answer", answer(s.question, chosen))

    feedback, progress, _next = await s.client.expect("answer_feedback", "progress_update", "question")
    assert feedback["data"]["credit"] == 0.3333
    assert progress["data"]["score"] == 0.33


async def test_two_of_three_correct_options_earn_nothing_under_all_or_nothing(ws_clients):
    s = await started(ws_clients, policy=ALL_OR_NOTHING)
    await s.client.send("submit_answer", answer(s.question, served(s.question, "right a", "right b")))

    feedback, _progress, done = await s.client.expect("answer_feedback", "progress_update", "assessment_completed")
    assert (feedback["data"]["correct"], feedback["data"]["credit"]) == (False, 0.0)
    assert (done["data"]["score"], done["data"]["percentage_score"], done["data"]["passed"]) == (0, 0.0, False)


async def test_full_feedback_shows_every_correct_option_as_served(ws_clients):
    s = await started(ws_clients, policy=PARTIAL, feedback_mode=Test.FeedbackMode.FULL)
    await s.client.send("submit_answer", answer(s.question, served(s.question, "wrong")))

    feedback, *_ = await s.client.expect("answer_feedback", "progress_update", "assessment_completed")
    assert feedback["data"]["correct_options"] == served(s.question, "right")
    assert "correct_option" not in feedback["data"]
    assert feedback["data"]["credit"] == 0.0


async def test_answers_by_option_text_are_accepted(ws_clients):
    s = await started(ws_clients, policy=PARTIAL)
    texts = [text for text in s.question["data"]["options"] if text.startswith("right")]
    await s.client.send("submit_answer", answer(s.question, texts))

    feedback, *_ = await s.client.expect("answer_feedback", "progress_update", "assessment_completed")
    assert feedback["data"]["credit"] == 1.0


@pytest.mark.parametrize(
    "data",
    [
        {"selected_option": 0},  # one index for a question with several correct options
        {"selected_options": []},
        {"selected_options": [0, 0]},
        {"selected_options": [1, 7]},
        {"selected_options": [-1]},
        {"selected_options": ["no such option"]},
    ],
    ids=["single-index", "empty", "duplicate", "out-of-range", "negative", "unknown-text"],
)
async def test_the_wrong_shape_of_answer_is_refused_and_nothing_is_recorded(ws_clients, data):
    s = await started(ws_clients, policy=PARTIAL)
    await s.client.send("submit_answer", {"question_id": s.question["data"]["question_id"], **data}, id="bad")

    (error,) = await s.client.expect("error")
    assert (error["data"]["code"], error["ref"]) == ("invalid_option", "bad")
    await s.client.nothing()
    response = await db(Response.objects.get)(question_id=s.question["data"]["question_id"])
    assert (response.answered_at, response.selected_options, response.credit) == (None, None, None)
    assessment = await db(Assessment.objects.get)(pk=s.started["data"]["assessment_id"])
    assert (assessment.score, assessment.last_seq) == (0, 2)
    # The question is still open: a well-formed answer is taken.
    await s.client.send("submit_answer", answer(s.question, served(s.question, "right")))
    await s.client.expect("answer_feedback", "progress_update", "assessment_completed")


async def test_a_list_of_options_for_a_single_question_is_refused(ws_clients):
    test = await db(published_test_with_bank)(questions=3, total_questions=2)
    user = await db(enrolled_candidate)(test=test)
    s = await attempt_started(ws_clients, test=test, user=user)
    await s.client.send("submit_answer", {"question_id": s.question["data"]["question_id"], "selected_options": [0]})

    (error,) = await s.client.expect("error")
    assert error["data"]["code"] == "invalid_option"
    assert await db(Response.objects.filter(answered_at__isnull=False).count)() == 0


async def test_both_selected_option_and_selected_options_is_a_validation_error(ws_clients):
    s = await started(ws_clients, policy=PARTIAL)
    await s.client.send(
        "submit_answer",
        {"question_id": s.question["data"]["question_id"], "selected_option": 0, "selected_options": [0, 1]},
    )

    (error,) = await s.client.expect("error")
    assert error["data"]["code"] == "validation_error"


async def test_the_same_answer_resent_after_a_reconnect_is_stored_once(ws_clients):
    s = await started(ws_clients, policy=PARTIAL, total=2)
    chosen = served(s.question, "right a", "right b")
    await s.client.send("submit_answer", answer(s.question, chosen), id="a1")
    first = await s.client.expect("answer_feedback", "progress_update", "question")
    await s.client.ws.disconnect()

    again = ws_clients(f"/ws/assessment/{s.test.pk}/")
    await again.connect()
    success = await again.auth(token_for(s.user))
    assert success["data"]["assessment"]["score"] == 0.67
    await again.send("submit_answer", answer(s.question, chosen), id="a1")

    replayed = await again.expect("answer_feedback", "progress_update", "question")
    assert [m["seq"] for m in replayed] == [m["seq"] for m in first]
    assert [m["data"] for m in replayed[:2]] == [m["data"] for m in first[:2]]
    answered = await db(Response.objects.filter(answered_at__isnull=False).count)()
    assessment = await db(Assessment.objects.get)(pk=s.started["data"]["assessment_id"])
    assert (answered, assessment.score) == (1, 0.67)
