"""The one scoring rule (assessments/scoring.py): each answer's credit under both multi-select
policies, score, max_score, percentage and pass, voids left out; and the percentile rank beside it."""

import pytest

from assessments.scoring import attempt_score, is_full_credit, percentage_of, question_credit
from assessments.selectors.comparison import percentile_of


def test_a_void_question_counts_neither_in_the_score_nor_in_the_max() -> None:
    scored = attempt_score(
        asked=[1, 2, 3, 4], credit={1: 1.0, 2: 1.0}, max_before_voids=4, voided={2}, pass_percentage=60
    )

    assert (scored.score, scored.max_score, scored.voided_asked) == (1, 3, 1)
    assert scored.percentage == 33.33
    assert scored.passed is False


def test_the_pass_mark_is_reached_at_exactly_the_percentage() -> None:
    scored = attempt_score(
        asked=[1, 2, 3, 4, 5], credit={1: 1.0, 2: 1.0, 3: 1.0}, max_before_voids=5, voided=(), pass_percentage=60
    )

    assert (scored.percentage, scored.passed) == (60.0, True)


def test_an_attempt_whose_every_question_is_void_scores_zero_of_zero() -> None:
    scored = attempt_score(asked=[7], credit={7: 1.0}, max_before_voids=1, voided={7}, pass_percentage=0)

    assert (scored.score, scored.max_score, scored.percentage) == (0, 0, 0.0)


def test_a_void_question_the_attempt_never_saw_changes_nothing() -> None:
    scored = attempt_score(asked=[1, 2], credit={1: 1.0, 2: 0.0}, max_before_voids=2, voided={99}, pass_percentage=50)

    assert (scored.score, scored.max_score, scored.percentage, scored.passed) == (1, 2, 50.0, True)


SINGLE, MULTIPLE = "single", "multiple"
ALL_OR_NOTHING, PARTIAL = "all_or_nothing", "partial"


@pytest.mark.parametrize("policy", [ALL_OR_NOTHING, PARTIAL])
def test_a_single_question_earns_all_or_nothing_whatever_the_policy(policy: str) -> None:
    assert question_credit(kind=SINGLE, correct=[2], chosen=[2], policy=policy) == 1.0
    assert question_credit(kind=SINGLE, correct=[2], chosen=[0], policy=policy) == 0.0


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ([0, 2, 4], 1.0),  # every correct option, no wrong one
        ([4, 2, 0], 1.0),  # the order does not matter
        ([0, 2], 0.0),  # one correct option missing
        ([0, 2, 4, 1], 0.0),  # a wrong one too
        ([1], 0.0),
    ],
)
def test_all_or_nothing_gives_credit_only_for_exactly_the_correct_options(chosen: list[int], expected: float) -> None:
    assert question_credit(kind=MULTIPLE, correct=[0, 2, 4], chosen=chosen, policy=ALL_OR_NOTHING) == expected


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ([0, 2, 4], 1.0),  # 3 right of k = 3
        ([0, 2], 0.6667),  # 2 right: 2/3
        ([0], 0.3333),  # 1 right: 1/3
        ([0, 2, 1], 0.3333),  # 2 right, 1 wrong: (2 - 1)/3
        ([0, 2, 4, 1], 0.6667),  # 3 right, 1 wrong: (3 - 1)/3
        ([0, 1, 3], 0.0),  # 1 right, 2 wrong: never below 0
        ([0, 1, 2, 3, 4, 5], 0.0),  # every option: 3 right, 3 wrong
        ([1, 3], 0.0),
    ],
)
def test_partial_credit_adds_a_kth_per_correct_option_and_takes_one_away_per_wrong_one(
    chosen: list[int], expected: float
) -> None:
    assert question_credit(kind=MULTIPLE, correct=[0, 2, 4], chosen=chosen, policy=PARTIAL) == expected


def test_partial_credit_with_two_correct_options_is_counted_in_halves() -> None:
    assert question_credit(kind=MULTIPLE, correct=[1, 3], chosen=[3], policy=PARTIAL) == 0.5
    assert question_credit(kind=MULTIPLE, correct=[1, 3], chosen=[1, 3, 0], policy=PARTIAL) == 0.5
    assert question_credit(kind=MULTIPLE, correct=[1, 3], chosen=[0, 2], policy=PARTIAL) == 0.0


def test_only_full_credit_is_a_right_answer() -> None:
    assert is_full_credit(1.0) is True
    assert is_full_credit(0.6667) is False
    assert is_full_credit(None) is False


def test_partial_credits_add_up_to_a_score_to_two_decimals() -> None:
    scored = attempt_score(
        asked=[1, 2, 3], credit={1: 1.0, 2: 0.6667, 3: 0.0}, max_before_voids=3, voided=(), pass_percentage=50
    )

    assert (scored.score, scored.max_score, scored.percentage, scored.passed) == (1.67, 3, 55.67, True)


def test_thirds_that_make_a_whole_score_read_back_as_a_whole_number() -> None:
    scored = attempt_score(
        asked=[1, 2, 3], credit={1: 0.6667, 2: 0.6667, 3: 0.6667}, max_before_voids=3, voided=(), pass_percentage=50
    )

    assert scored.score == 2
    assert isinstance(scored.score, int)


@pytest.mark.parametrize(("score", "max_score", "expected"), [(2, 3, 66.67), (0, 0, 0.0), (3, 3, 100.0)])
def test_percentages_are_rounded_to_two_decimals(score: int, max_score: int, expected: float) -> None:
    assert percentage_of(score=score, max_score=max_score) == expected


@pytest.mark.django_db
def test_the_running_score_leaves_a_void_question_out_as_the_final_score_does() -> None:
    """The score shown in `progress_update` while the attempt runs follows the same rule."""
    from assessments.models import QuestionRegrade, Response
    from assessments.services.answers import answer_submit
    from assessments.tests.factories import attempt_started, question_served, served_key

    conn, outcome = attempt_started(questions=4, total=3, feedback_mode="full")
    question_id = question_served(outcome)["question_id"]
    QuestionRegrade.objects.create(question_id=question_id, action=QuestionRegrade.Action.VOID, reason="ambiguous")
    response = Response.objects.select_related("question").get(question_id=question_id)
    reply = answer_submit(conn=conn, question_id=question_id, selected_option=served_key(response))

    progress = next(m for m in reply.messages if m["type"] == "progress_update")["data"]
    assert progress["score"] == 0


def test_a_percentile_rank_counts_the_others_below_and_half_the_ties() -> None:
    assert percentile_of(score=80, others=[20, 40, 60, 80]) == 87.5  # 3 below, 1 tie: (3 + 0.5) / 4
    assert percentile_of(score=50, others=[50, 50]) == 50.0
    assert percentile_of(score=10, others=[20, 30]) == 0.0
    assert percentile_of(score=90, others=[]) is None
