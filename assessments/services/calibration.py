"""Calibrating a test's items from its candidates' answers (`psychometrics.calibration` states the model).

Answers faster than anyone reads (`response_times.effortful`) are left out: a guess says nothing
about the item; so is every answer of an attempt with too many of them (`effortful_attempt`). Items
are calibrated under the test's prior for their parameters (`psychometrics.item_priors`), as the
bank fits it. Off the answer path: an ended attempt's answers go into its items' estimates afterwards, in batches,
by `attempts_calibrate` (the expiry loop runs it every pass), so an answer costs no statement more
and no item row is locked while candidates answer. Each answer is paired with the attempt's
ability estimate for the item's skill from its other answers (leaving the answer out keeps it from
making its own item look more discriminating than it is), and that θ's SE discounts the step. That θ
takes the items being calibrated as the replay has them at that point, the attempt's other items as
the test's bank holds them.

`items_recalibrate` (manage.py calibrate_items) starts every item of a test over from its prior and
replays every ended attempt in the order they ended: the same rule, so the result is what the online
updates would have reached had they seen the same attempts in that order, and the same each time.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from assessments import clock
from assessments.ai.ability import Ability, Answer, abilities_without_each
from assessments.errors import ApplicationError
from assessments.messages import ErrorCode
from assessments.models import Assessment, Question, Response, Test
from assessments.psychometrics.calibration import moments_add, moments_correlation
from assessments.psychometrics.item_priors import ItemPrior, calibration_update_under, item_prior_fit
from assessments.psychometrics.response_times import effortful, effortful_attempt
from assessments.selectors.bank import Bank, Item, bank_for, item_from_question
from assessments.selectors.calibration_report import item_estimate
from assessments.selectors.response_signals import answer_seconds

CALIBRATED_STATUSES = (Assessment.Status.COMPLETED, Assessment.Status.TIMED_OUT)
BATCH = 100
CALIBRATION_FIELDS = [
    "calibrated_difficulty",
    "calibration_se",
    "calibration_n",
    "calibrated_discrimination",
    "discrimination_se",
    "calibration_covariance",
    "live_discrimination",
    "calibration_moments",
]


def skill_abilities_without_each(*, answers: Sequence[tuple[int, Answer]]) -> list[Ability]:
    """For each (skill id, answer) of one attempt, in order, the attempt's θ ± SE for that skill from
    its other answers to the skill (`ability.abilities_without_each`)."""
    by_skill: dict[int, list[int]] = defaultdict(list)
    for index, (skill_id, _) in enumerate(answers):
        by_skill[skill_id].append(index)
    abilities: dict[int, Ability] = {}
    for indices in by_skill.values():
        estimates = abilities_without_each([answers[i][1] for i in indices])
        abilities.update(zip(indices, estimates, strict=True))
    return [abilities[i] for i in range(len(answers))]


@dataclass(frozen=True)
class Scored:
    """One answer to calibrate with: the item, the credit earned, and the attempt's θ ± SE for its skill."""

    question_id: int
    credit: float
    theta: float
    theta_se: float


def _attempt_scored(
    *, responses: Iterable[Response], questions: Mapping[int, Question], bank: Bank, prior: ItemPrior
) -> list[Scored]:
    """The attempt's answers to calibrate with, each paired with the attempt's θ ± SE for the item's
    skill from its other answers, less those too fast to read; none of a mostly unread attempt's. The
    items being calibrated count as the replay has them so far, under `prior` (so a recompute repeats
    itself); the attempt's other items as in `bank`."""
    responses = list(responses)
    if not effortful_attempt(seconds=(answer_seconds(r) for r in responses if r.credit is not None)):
        return []
    answered: list[tuple[Response, Item, float]] = []
    for response in responses:
        if response.credit is None or response.question_id in bank.voided:
            continue
        question = questions.get(response.question_id)
        item = (
            item_from_question(question, prior=prior) if question is not None else bank.items.get(response.question_id)
        )
        if item is not None:
            answered.append((response, item, float(response.credit)))
    abilities = skill_abilities_without_each(
        answers=[(item.skill_id, (item.logit, credit, item.discrimination)) for _, item, credit in answered]
    )
    return [
        Scored(question_id=r.question_id, credit=credit, theta=ability.theta, theta_se=ability.se)
        for (r, _, credit), ability in zip(answered, abilities, strict=True)
        if effortful(seconds=answer_seconds(r))
    ]


def _apply(*, questions: dict[int, Question], scored: Iterable[Scored], prior: ItemPrior) -> None:
    """Each answer's update, in order, on the questions' rows in memory."""
    for answer in scored:
        question = questions.get(answer.question_id)
        if question is None:  # another question of the attempt: it measured θ, it is not replayed here
            continue
        estimate = calibration_update_under(
            item=item_estimate(question),
            prior=prior,
            theta=answer.theta,
            theta_se=answer.theta_se,
            credit=answer.credit,
        )
        question.calibrated_difficulty, question.calibration_se = estimate.mean, estimate.se
        question.calibration_n = estimate.n
        question.calibrated_discrimination, question.discrimination_se = (
            estimate.discrimination,
            estimate.discrimination_se,
        )
        question.calibration_covariance = estimate.covariance
        question.calibration_moments = moments_add(
            question.calibration_moments or {}, theta=answer.theta, credit=answer.credit
        )
        question.live_discrimination = moments_correlation(question.calibration_moments)


def _calibration_reset(question: Question) -> None:
    """Back to its prior: no calibrated answer yet."""
    question.calibrated_difficulty = question.calibration_se = question.live_discrimination = None
    question.calibrated_discrimination = question.discrimination_se = question.calibration_covariance = None
    question.calibration_n, question.calibration_moments = 0, {}


def _uncalibrated() -> QuerySet[Assessment]:
    return Assessment.objects.filter(status__in=CALIBRATED_STATUSES, calibrated_at__isnull=True)


@transaction.atomic
def attempts_calibrate(*, limit: int = BATCH) -> int:
    """Put up to `limit` ended, not yet calibrated attempts into their items' estimates; how many.

    Locks the items first, in id order, then claims the attempts with SKIP LOCKED: the order a
    regrade takes (its question, then the attempts that saw it), so neither waits for the other in a
    cycle; loops on several machines share the work. Both writes are in one transaction: an attempt
    is counted once or not at all.
    """
    backlog = list(_uncalibrated().order_by("ended_at", "pk").values_list("pk", flat=True)[:limit])
    if not backlog:
        return 0
    question_ids = sorted(
        set(
            Response.objects.filter(assessment_id__in=backlog, credit__isnull=False).values_list(
                "question_id", flat=True
            )
        )
    )
    questions = Question.objects.select_for_update().filter(pk__in=question_ids).order_by("pk").in_bulk()
    claimed = list(
        _uncalibrated()
        .filter(pk__in=backlog)
        .select_for_update(skip_locked=True)
        .order_by("ended_at", "pk")
        .only("pk", "test_id")
    )
    if not claimed:
        return 0
    banks = {test.pk: bank_for(test=test) for test in Test.objects.filter(pk__in={a.test_id for a in claimed})}
    _replay(attempts=claimed, questions=questions, banks=banks)
    Question.objects.bulk_update(questions.values(), CALIBRATION_FIELDS)
    Assessment.objects.filter(pk__in=[a.pk for a in claimed]).update(calibrated_at=clock.now())
    return len(claimed)


def _replay(
    *,
    attempts: list[Assessment],
    questions: dict[int, Question],
    banks: Mapping[int, Bank],
    prior: ItemPrior | None = None,
) -> int:
    """Each attempt's answers to these questions into their estimates, in the attempts' order; how
    many. Every scored answer of an attempt gives the others their θ; a void one neither. `banks`:
    by test, loaded before the caller wrote anything; `prior`: the item prior to calibrate under,
    the bank's when not given."""
    responses = _responses_of(attempt_ids=[a.pk for a in attempts])
    answers = 0
    for attempt in attempts:
        bank = banks[attempt.test_id]
        under = bank.item_prior if prior is None else prior
        scored = _attempt_scored(responses=responses.get(attempt.pk, []), questions=questions, bank=bank, prior=under)
        _apply(questions=questions, scored=scored, prior=under)
        answers += sum(answer.question_id in questions for answer in scored)
    return answers


def _responses_of(*, attempt_ids: list[int]) -> dict[int, list[Response]]:
    by_attempt: dict[int, list[Response]] = {}
    rows = (
        Response.objects.filter(assessment_id__in=attempt_ids, credit__isnull=False)
        .only("assessment_id", "question_id", "credit", "time_taken_ms", "round_trip_ms")
        .order_by("assessment_id", "position")
    )
    for response in rows:
        by_attempt.setdefault(response.assessment_id, []).append(response)
    return by_attempt


def question_recalibrate(*, question: Question, bank: Bank) -> None:
    """Start one question over from its prior and replay its answers in the attempts calibration has
    already counted, oldest ended first: after a regrade changed their credit (the caller holds the
    question's row lock and the attempts'). Attempts not yet counted are counted by the next pass.
    `bank`: the test's, as the caller loaded it before its writes (the attempts' other items)."""
    _calibration_reset(question)
    attempts = (
        Assessment.objects.filter(
            responses__question=question, status__in=CALIBRATED_STATUSES, calibrated_at__isnull=False
        )
        .order_by("ended_at", "pk")
        .only("pk", "test_id")
    )
    _replay(attempts=list(attempts), questions={question.pk: question}, banks={question.test_id: bank})
    question.save(update_fields=CALIBRATION_FIELDS)


@dataclass(frozen=True)
class Recalibrated:
    attempts: int
    answers: int
    items: int


@transaction.atomic
def items_recalibrate(*, test_id: int, progress: Callable[[int, int], None] | None = None) -> Recalibrated:
    """Start every item of the test over from its prior and replay all of its ended attempts, oldest
    ended first. `progress(done, total)` hears after each batch of attempts."""
    if not Test.objects.filter(pk=test_id).exists():
        raise ApplicationError(ErrorCode.TEST_NOT_FOUND, f"There is no test {test_id}.", status=404)
    # The items, then the attempts, as attempts_calibrate and a regrade lock them.
    questions = Question.objects.select_for_update().filter(test_id=test_id).order_by("pk").in_bulk()
    ended = list(
        Assessment.objects.select_for_update()
        .filter(test_id=test_id, status__in=CALIBRATED_STATUSES)
        .order_by("ended_at", "pk")
        .only("pk", "test_id")
    )
    banks = {test_id: bank_for(test=Test.objects.get(pk=test_id))}
    for question in questions.values():
        _calibration_reset(question)
    answers = 0
    for start in range(0, len(ended), BATCH):
        # The prior as the replay has taught it so far, not as the rows held it: the same each time.
        prior = item_prior_fit(item_estimate(q) for q in questions.values())
        answers += _replay(attempts=ended[start : start + BATCH], questions=questions, banks=banks, prior=prior)
        if progress is not None:
            progress(min(start + BATCH, len(ended)), len(ended))
    Question.objects.bulk_update(questions.values(), CALIBRATION_FIELDS)
    Assessment.objects.filter(pk__in=[a.pk for a in ended]).update(calibrated_at=clock.now())
    return Recalibrated(attempts=len(ended), answers=answers, items=len(questions))
