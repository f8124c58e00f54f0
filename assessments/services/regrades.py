"""Regrading a question, and re-scoring the attempts that saw it.

A question may be *voided* (it then counts neither in the score nor in the max_score of any attempt
that saw it, and is never asked again) or given a new *key*; either way every finished attempt that
saw it is re-scored from its responses: score = the credit (`scoring.question_credit`, under the
test's multi-select policy) of its answered non-void responses against the (new) key; max_score = the attempt's max_score before any regrade minus the void questions it
was asked; percentage and passed as at the end of an attempt. Attempts still running are skipped
and listed: the new key already applies to the answers they give from now on, and a later
`rescore` (the same page) brings their final scores in line once they have ended. The dry run
computes the same thing without writing. Each apply leaves a `QuestionRegrade` audit record.
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from assessments.ai.ability import ability_estimate, difficulty_logit
from assessments.errors import ApplicationError, BackOfficeCode
from assessments.models import (
    Assessment,
    Question,
    QuestionRegrade,
    Response,
    Skill,
)
from assessments.scoring import attempt_score, is_full_credit, question_credit
from assessments.selectors.regrades import blueprint_voided_question_ids, question_is_void

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AttemptRescore:
    """One attempt's scores before and after a regrade."""

    assessment_id: int
    candidate: str
    attempt_number: int
    old_score: float
    new_score: float
    old_max_score: int
    new_max_score: int
    old_percentage: float | None
    new_percentage: float
    old_passed: bool | None
    new_passed: bool

    @property
    def changed(self) -> bool:
        return (self.old_score, self.old_max_score, self.old_percentage, self.old_passed) != (
            self.new_score,
            self.new_max_score,
            self.new_percentage,
            self.new_passed,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "assessment_id": self.assessment_id,
            "candidate": self.candidate,
            "attempt": self.attempt_number,
            "old": {
                "score": self.old_score,
                "max_score": self.old_max_score,
                "percentage": self.old_percentage,
                "passed": self.old_passed,
            },
            "new": {
                "score": self.new_score,
                "max_score": self.new_max_score,
                "percentage": self.new_percentage,
                "passed": self.new_passed,
            },
        }


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
        return [r for r in self.rescores if r.changed]


@dataclass
class _Scored:
    """An attempt's recomputed state: the rescore, and what to write when applied."""

    rescore: AttemptRescore
    correctness: dict[int, tuple[bool, float]]  # response id -> (is_correct, credit), for those that change
    original_max_score: int
    ability: dict[str, Any] | None


def _attempt_score(
    *,
    assessment: Assessment,
    responses: Iterable[Response],
    keys: Mapping[int, tuple[int, ...]],
    voided: set[int],
    pass_percentage: float,
    policy: str,
    skill_names: Mapping[int, str],
) -> _Scored:
    regrade_state = assessment.ai_state.get("regrade", {})
    original_max = int(regrade_state.get("original_max_score", assessment.max_score))
    asked: list[int] = []
    earned: dict[int, float] = {}
    correctness: dict[int, tuple[bool, float]] = {}
    overall: list[tuple[float, bool | float]] = []
    per_skill: dict[int, list[tuple[float, bool | float]]] = {}
    for response in responses:
        question = response.question
        asked.append(question.pk)
        if response.selected_option is None:
            continue
        chosen = response.selected_options if response.selected_options is not None else [response.selected_option]
        credit = question_credit(
            kind=question.kind, correct=keys.get(question.pk, question.key), chosen=chosen, policy=policy
        )
        correct = is_full_credit(credit)
        if (correct, credit) != (response.is_correct, response.credit):
            correctness[response.pk] = (correct, credit)
        earned[question.pk] = credit
        if question.pk not in voided:
            pair: tuple[float, bool | float] = (difficulty_logit(question.difficulty), credit)
            overall.append(pair)
            per_skill.setdefault(question.skill_id, []).append(pair)
    scored = attempt_score(
        asked=asked, credit=earned, max_before_voids=original_max, voided=voided, pass_percentage=pass_percentage
    )
    ability = None
    if "ability" in assessment.ai_state:
        ability = {
            "overall": ability_estimate(overall).as_dict(),
            "skills": {
                skill_names[sid]: ability_estimate(pairs).as_dict()
                for sid, pairs in per_skill.items()
                if sid in skill_names
            },
        }
    rescore = AttemptRescore(
        assessment_id=assessment.pk,
        candidate=assessment.candidate.get_username(),
        attempt_number=assessment.attempt_number,
        old_score=assessment.score,
        new_score=scored.score,
        old_max_score=assessment.max_score,
        new_max_score=scored.max_score,
        old_percentage=assessment.percentage_score,
        new_percentage=scored.percentage,
        old_passed=assessment.passed,
        new_passed=scored.passed,
    )
    return _Scored(rescore=rescore, correctness=correctness, original_max_score=original_max, ability=ability)


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


def _regrade_compute(
    *, question: Question, action: str, keys: Mapping[int, tuple[int, ...]], lock: bool
) -> tuple[list[tuple[Assessment, _Scored]], list[int]]:
    test = question.test
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
    skill_names = dict(Skill.objects.filter(test=test).values_list("pk", "name"))
    scored: list[tuple[Assessment, _Scored]] = []
    for assessment in attempts:
        responses = assessment.responses.select_related("question").order_by("position")
        scored.append(
            (
                assessment,
                _attempt_score(
                    assessment=assessment,
                    responses=responses,
                    keys=keys,
                    voided=voided,
                    pass_percentage=test.pass_percentage,
                    policy=test.multi_select_scoring,
                    skill_names=skill_names,
                ),
            )
        )
    return scored, skipped


def question_regrade_plan(
    *,
    question: Question,
    action: str,
    new_correct_option: int | None = None,
    new_correct_options: list[int] | None = None,
) -> RegradePlan:
    """The dry run: every finished attempt that saw `question`, with its scores now and after the regrade.

    A multiple question's key change names every new correct option in `new_correct_options`."""
    keys = _checked_new_key(
        question=question,
        action=action,
        new_correct_option=new_correct_option,
        new_correct_options=new_correct_options,
    )
    scored, skipped = _regrade_compute(question=question, action=action, keys=keys, lock=False)
    return RegradePlan(
        question=question,
        action=action,
        new_correct_option=new_correct_option,
        new_correct_options=new_correct_options,
        rescores=[s.rescore for _, s in scored],
        skipped=skipped,
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
    """Void `question`, change its key, or only re-score; re-score every finished attempt that saw it."""
    question = Question.objects.select_for_update().select_related("test").get(pk=question.pk)
    keys = _checked_new_key(
        question=question,
        action=action,
        new_correct_option=new_correct_option,
        new_correct_options=new_correct_options,
    )
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
    scored, skipped = _regrade_compute(question=question, action=action, keys=keys, lock=True)
    voided = blueprint_voided_question_ids(test_id=question.test_id)
    if action == QuestionRegrade.Action.VOID:
        voided.add(question.pk)
    for assessment, result in scored:
        for response_id, (correct, credit) in result.correctness.items():
            Response.objects.filter(pk=response_id).update(is_correct=correct, credit=credit)
        rescore = result.rescore
        assessment.score = rescore.new_score
        assessment.max_score = rescore.new_max_score
        assessment.percentage_score = rescore.new_percentage
        assessment.passed = rescore.new_passed
        assessment.ai_state["regrade"] = {
            "original_max_score": result.original_max_score,
            "voided_question_ids": sorted(voided),
        }
        if result.ability is not None:
            assessment.ai_state["ability"] = result.ability
        assessment.save(update_fields=["score", "max_score", "percentage_score", "passed", "ai_state"])
    rescores = [s.rescore for _, s in scored]
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
        "question %s regraded (%s) by %s: %d attempt(s) re-scored, %d changed, %d running skipped",
        question.pk,
        action,
        record.performed_by_username or "?",
        record.attempts_rescored,
        record.scores_changed,
        len(skipped),
    )
    return record
