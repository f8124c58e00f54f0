"""Regrading a question, and re-scoring the attempts that saw it.

A question may be *voided* (it then counts neither in the score nor in the max_score of any attempt
that saw it, and is never asked again) or given a new *key*; either way every finished attempt that
saw it is re-scored from its responses (`services.rescores`): score = the credit
(`scoring.question_credit`, under the test's multi-select policy) of its answered non-void responses
against the (new) key; max_score = the attempt's max_score before any regrade minus the void
questions it was asked; percentage and passed as at the end of an attempt. Its θ and SE, overall and
per skill, are re-estimated from the same answers without the void questions, by the answer path's
own rule over the bank's item parameters (`Item.logit`, `Item.discrimination`).

Attempts still running are skipped and listed, their scores and θ untouched: the new key already
applies to the answers they give from now on, and a later `rescore` (the same page) brings their
final scores and θ in line once they have ended. The dry run computes the same thing without
writing, θ ± SE before and after included. Each apply leaves a `QuestionRegrade` audit record whose
`changes` hold every attempt's scores and ability estimate before and after. A void is permanent.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from assessments.errors import ApplicationError, BackOfficeCode
from assessments.models import Assessment, Question, QuestionRegrade, Response, Test
from assessments.selectors.bank import Bank, bank_for
from assessments.selectors.regrades import blueprint_voided_question_ids, question_is_void
from assessments.services.calibration import question_recalibrate
from assessments.services.rescores import AttemptRescore, RescoredAttempt, attempt_rescore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegradePlan:
    question: Question
    action: str
    new_correct_option: int | None
    rescores: list[AttemptRescore]
    skipped: list[int]  # running attempts that saw the question
    new_correct_options: list[int] | None = None

    @property
    def changed(self) -> list[AttemptRescore]:
        """The attempts whose scores change."""
        return [r for r in self.rescores if r.changed]

    @property
    def ability_changed(self) -> list[AttemptRescore]:
        """The attempts whose θ or SE (overall or of a skill) change."""
        return [r for r in self.rescores if r.ability_changed]


def _regrade_check(
    *, question: Question, action: str, new_correct_option: int | None, new_correct_options: list[int] | None
) -> None:
    if action not in QuestionRegrade.Action.values:
        raise ApplicationError(BackOfficeCode.INVALID_ACTION, f"Unknown regrade action {action!r}.")
    if question_is_void(question=question) and action != QuestionRegrade.Action.RESCORE:
        raise ApplicationError(
            BackOfficeCode.QUESTION_VOID, "This question is already void; only a re-score is possible."
        )
    if action == QuestionRegrade.Action.REKEY and question.kind == Question.Kind.MULTIPLE:
        _new_keys_check(question=question, new_correct_options=new_correct_options)
    elif action == QuestionRegrade.Action.REKEY:
        options = question.option_list
        if new_correct_option is None or not 0 <= new_correct_option < len(options):
            raise ApplicationError(
                BackOfficeCode.INVALID_KEY, f"The new key must be an option index between 0 and {len(options) - 1}."
            )
        if new_correct_option == question.correct_option:
            raise ApplicationError(BackOfficeCode.SAME_KEY, "That is already the key of this question.")


def _new_keys_check(*, question: Question, new_correct_options: list[int] | None) -> None:
    """A multiple question's new key: at least two options and one left wrong, none twice, a change."""
    count = len(question.option_list)
    chosen = new_correct_options or []
    if not (2 <= len(set(chosen)) == len(chosen) < count and all(0 <= i < count for i in chosen)):
        raise ApplicationError(
            BackOfficeCode.INVALID_KEY,
            f"The new key must be two or more distinct option indices between 0 and {count - 1}, one left wrong.",
        )
    if tuple(sorted(chosen)) == question.key:
        raise ApplicationError(BackOfficeCode.SAME_KEY, "That is already the key of this question.")


def _checked_new_key(
    *, question: Question, action: str, new_correct_option: int | None, new_correct_options: list[int] | None
) -> dict[int, tuple[int, ...]]:
    """The regrade checked (`_regrade_check`), and the new key it gives the question, if any."""
    _regrade_check(
        question=question,
        action=action,
        new_correct_option=new_correct_option,
        new_correct_options=new_correct_options,
    )
    if action != QuestionRegrade.Action.REKEY:
        return {}
    if question.kind == Question.Kind.MULTIPLE and new_correct_options:
        return {question.pk: tuple(sorted(new_correct_options))}
    return {question.pk: (new_correct_option,)} if new_correct_option is not None else {}


@dataclass(frozen=True)
class _Computed:
    scored: list[tuple[Assessment, RescoredAttempt]]
    skipped: list[int]
    voided: set[int]  # the test's void questions, this regrade's included


def _regrade_compute(
    *, question: Question, test: Test, bank: Bank, action: str, keys: Mapping[int, tuple[int, ...]], lock: bool
) -> _Computed:
    voided = blueprint_voided_question_ids(test_id=test.pk)
    if action == QuestionRegrade.Action.VOID:
        voided.add(question.pk)
    seen_by = Response.objects.filter(question=question).values("assessment_id")
    seen = Assessment.objects.filter(pk__in=seen_by).order_by("started_at", "id")
    # Running attempts are left alone, and not locked: answers must not wait behind a long regrade.
    skipped = list(seen.filter(status=Assessment.Status.IN_PROGRESS).values_list("pk", flat=True))
    attempts = seen.exclude(status=Assessment.Status.IN_PROGRESS).select_related("candidate")
    if lock:
        attempts = attempts.select_for_update(of=("self",))
    scored: list[tuple[Assessment, RescoredAttempt]] = []
    for assessment in attempts:
        responses = assessment.responses.select_related("question").order_by("position")
        rescored = attempt_rescore(
            assessment=assessment,
            responses=responses,
            keys=keys,
            voided=voided,
            pass_percentage=test.pass_percentage,
            policy=test.multi_select_scoring,
            bank=bank,
        )
        scored.append((assessment, rescored))
    return _Computed(scored=scored, skipped=skipped, voided=voided)


def question_regrade_plan(
    *,
    question: Question,
    action: str,
    new_correct_option: int | None = None,
    new_correct_options: list[int] | None = None,
) -> RegradePlan:
    """The dry run: every finished attempt that saw `question`, with its scores and θ ± SE now and
    after the regrade. Writes nothing.

    A multiple question's key change names every new correct option in `new_correct_options`."""
    keys = _checked_new_key(
        question=question,
        action=action,
        new_correct_option=new_correct_option,
        new_correct_options=new_correct_options,
    )
    test = Test.objects.get(pk=question.test_id)  # its bank_version as it is now, for `bank_for`
    computed = _regrade_compute(
        question=question, test=test, bank=bank_for(test=test), action=action, keys=keys, lock=False
    )
    return RegradePlan(
        question=question,
        action=action,
        new_correct_option=new_correct_option,
        new_correct_options=new_correct_options,
        rescores=[s.rescore for _, s in computed.scored],
        skipped=computed.skipped,
    )


@transaction.atomic
def question_regrade_apply(
    *,
    question: Question,
    action: str,
    by: User | None,
    new_correct_option: int | None = None,
    new_correct_options: list[int] | None = None,
    reason: str = "",
) -> QuestionRegrade:
    """Void `question`, change its key, or only re-score; re-score and re-estimate every finished
    attempt that saw it, under its row lock."""
    question = Question.objects.select_for_update().select_related("test").get(pk=question.pk)
    keys = _checked_new_key(
        question=question,
        action=action,
        new_correct_option=new_correct_option,
        new_correct_options=new_correct_options,
    )
    # The bank before this transaction writes: what it caches must be committed rows (the writes
    # below bump the bank_version, so no process keeps this copy past them). Item difficulties do
    # not depend on a question's key, activity or void.
    bank = bank_for(test=question.test)
    old_key = question.correct_option
    if action == QuestionRegrade.Action.REKEY and question.kind == Question.Kind.MULTIPLE:
        # The audit keeps the lowest correct index; the whole key is the question's, as it now is.
        question.correct_options = sorted(new_correct_options or [])
        question.full_clean()
        question.save(update_fields=["correct_options", "correct_option"])
    elif action == QuestionRegrade.Action.REKEY and new_correct_option is not None:
        question.correct_option = new_correct_option
        question.full_clean()
        question.save(update_fields=["correct_option"])
    elif action == QuestionRegrade.Action.VOID:
        question.active = False
        question.save(update_fields=["active"])
    computed = _regrade_compute(question=question, test=question.test, bank=bank, action=action, keys=keys, lock=True)
    for assessment, result in computed.scored:
        for response_id, (correct, credit) in result.correctness.items():
            Response.objects.filter(pk=response_id).update(is_correct=correct, credit=credit)
        rescore = result.rescore
        assessment.score = rescore.new_score
        assessment.max_score = rescore.new_max_score
        assessment.percentage_score = rescore.new_percentage
        assessment.passed = rescore.new_passed
        assessment.ai_state["regrade"] = {
            "original_max_score": result.original_max_score,
            "voided_question_ids": sorted(computed.voided),
        }
        if result.ability is not None:
            assessment.ai_state["ability"] = result.ability
        assessment.save(update_fields=["score", "max_score", "percentage_score", "passed", "ai_state"])
    if action != QuestionRegrade.Action.VOID:
        # Its difficulty was measured with the old credits; a void question is left out of calibration.
        question_recalibrate(question=question, bank=bank)
    rescores = [s.rescore for _, s in computed.scored]
    skipped = computed.skipped
    record = QuestionRegrade.objects.create(
        question=question,
        action=action,
        old_correct_option=old_key,
        new_correct_option=question.correct_option,
        reason=reason.strip(),
        performed_by=by,
        performed_by_username=by.get_username() if by is not None else "",
        attempts_rescored=len(rescores),
        scores_changed=sum(1 for r in rescores if r.changed),
        changes=[r.as_dict() for r in rescores],
        skipped_attempts=skipped,
    )
    logger.info(
        "question %s regraded (%s) by %s: %d attempt(s) re-scored, %d changed, %d θ re-estimated, %d running skipped",
        question.pk,
        action,
        record.performed_by_username or "?",
        record.attempts_rescored,
        record.scores_changed,
        sum(1 for r in rescores if r.ability_changed),
        len(skipped),
    )
    return record
