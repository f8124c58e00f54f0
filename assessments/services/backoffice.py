"""The recruiters' back office: the writes behind the admin pages and the operators' commands.

Every function is keyword-only and atomic, and raises `ApplicationError` (a stable `code` and a
message for people) when it refuses. Messages to a connected candidate are sent by the attempt
services after commit (`assessment_extend`, `assessment_terminate`, ...); nothing here talks to the
channel layer directly.

Regrading
---------
A question may be *voided* (it then counts neither in the score nor in the max_score of any attempt
that saw it, and is never asked again) or given a new *key*; either way every finished attempt that
saw it is re-scored from its responses: score = answered non-void responses whose choice matches
the (new) key; max_score = the attempt's max_score before any regrade minus the void questions it
was asked; percentage and passed as at the end of an attempt. Attempts still running are skipped
and listed: the new key already applies to the answers they give from now on, and a later
`rescore` (the same page) brings their final scores in line once they have ended. The dry run
computes the same thing without writing. Each apply leaves a `QuestionRegrade` audit record.
"""

import csv
import io
import logging
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet

from assessments.ai.ability import ability_estimate, difficulty_logit
from assessments.errors import ApplicationError
from assessments.models import (
    Assessment,
    CandidateApplication,
    Question,
    QuestionRegrade,
    Response,
    Skill,
    Test,
)
from assessments.roles import is_recruiter
from assessments.selectors.regrades import blueprint_voided_question_ids, question_is_void
from assessments.services.attempt_control import assessment_terminate
from assessments.services.bank_versions import bank_changed
from assessments.services.blueprints import TestFields

logger = logging.getLogger(__name__)

GENERATED_PASSWORD_BYTES = 12  # token_urlsafe(12) gives 16 characters
# Each new account hashes a password (~0.4 s with Django's default hasher): keep one request short.
MAX_INVITES = 100
COPY_PREFIX = "Copy of "


# ---------------------------------------------------------------- tests


# Every setting a recruiter may write but the title and status, and the adaptive stopping rule.
_COPIED_TEST_FIELDS = (*(f for f in TestFields.__annotations__ if f not in {"title", "status"}), "se_target")


@transaction.atomic
def blueprint_duplicate(*, test: Test, by: User) -> Test:
    """A draft copy of `test` owned by `by`: its fields, skills and bank questions (void ones left out).

    Generated questions, candidates and attempts stay with the original.
    """
    title = (COPY_PREFIX + test.title)[: Test._meta.get_field("title").max_length]
    copy = Test(
        title=title, status=Test.Status.DRAFT, created_by=by, **{f: getattr(test, f) for f in _COPIED_TEST_FIELDS}
    )
    copy.full_clean()
    copy.save()
    skills: dict[int, Skill] = {}
    for skill in Skill.objects.filter(test=test).order_by("order", "id"):
        skills[skill.pk] = Skill.objects.create(
            test=copy, name=skill.name, weight=skill.weight, difficulty=skill.difficulty, order=skill.order
        )
    voided = blueprint_voided_question_ids(test_id=test.pk)
    bank = Question.objects.filter(test=test, source=Question.Source.BANK).exclude(pk__in=voided).order_by("id")
    Question.objects.bulk_create(
        Question(
            test=copy,
            skill=skills[q.skill_id],
            prompt=q.prompt,
            options=list(q.options),
            correct_option=q.correct_option,
            explanation=q.explanation,
            difficulty=q.difficulty,
            source=Question.Source.BANK,
            active=q.active,
        )
        for q in bank
    )
    logger.info("test %s duplicated as %s by %s", test.pk, copy.pk, by.pk)
    return copy


@transaction.atomic
def blueprint_archive(*, test: Test) -> Test:
    """Archive a test: it leaves candidates' lists; running attempts may still finish."""
    test = Test.objects.select_for_update().get(pk=test.pk)
    if test.status != Test.Status.ARCHIVED:
        test.status = Test.Status.ARCHIVED
        test.full_clean()
        test.save(update_fields=["status", "updated_at"])
    return test


# ---------------------------------------------------------------- questions


@transaction.atomic
def questions_active_set(*, questions: QuerySet[Question], active: bool) -> int:
    """(De)activate questions; a void question stays inactive. Returns how many changed."""
    targets = questions.exclude(active=active)
    if active:
        targets = targets.exclude(regrades__action=QuestionRegrade.Action.VOID)
    changed = Question.objects.filter(pk__in=list(targets.values_list("pk", flat=True)))
    for test_id in set(changed.values_list("test_id", flat=True)):
        bank_changed(test_id=test_id)
    return changed.update(active=active)


@transaction.atomic
def questions_promote(*, questions: QuerySet[Question]) -> int:
    """Move reviewed generated questions into the bank (source `bank`); returns how many moved."""
    ids = list(questions.filter(source=Question.Source.GENERATED).values_list("pk", flat=True))
    return Question.objects.filter(pk__in=ids).update(source=Question.Source.BANK)


# ---------------------------------------------------------------- candidates


@dataclass(frozen=True)
class InviteRow:
    line: int
    username: str
    email: str


@dataclass
class InviteReport:
    created: list[tuple[str, str, str]] = field(default_factory=list)  # username, email, generated password
    invited: list[str] = field(default_factory=list)  # existing accounts given an application
    already: list[tuple[str, str]] = field(default_factory=list)  # username, their application's status
    refused: list[tuple[str, str]] = field(default_factory=list)  # username, why

    @property
    def total(self) -> int:
        return len(self.created) + len(self.invited) + len(self.already) + len(self.refused)


_SEPARATORS = re.compile(r"[,;\t ]+")


def invite_rows_parse(*, text: str) -> list[InviteRow]:
    """`username[,email]` rows from a pasted list or a CSV file's text, validated all together.

    Separators: comma, semicolon, tab or spaces; quotes are CSV quotes; blank lines and `#` comments
    are skipped, and so is a first row `username,email`. Raises `ValidationError` listing every bad
    line, so nothing is invited until the whole list is right.
    """
    user_model: Any = get_user_model()
    username_field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    rows: list[InviteRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cells = [c.strip() for c in next(csv.reader(io.StringIO(_SEPARATORS.sub(",", line))), [])]
        cells = [c for c in cells if c]
        if not cells:
            continue
        if not rows and not errors and cells[0].casefold() == "username":
            continue  # the header row
        if len(cells) > 2:
            errors.append(f"line {number}: expected username,email but found {len(cells)} values")
            continue
        username, email = cells[0], (cells[1] if len(cells) == 2 else "")
        try:
            username_field.run_validators(username)  # the model's validators, max_length included
        except ValidationError as exc:
            errors.append(f"line {number}: invalid username {username!r}: {' '.join(exc.messages)}")
            continue
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(f"line {number}: invalid email address {email!r}")
                continue
        if username in seen:
            errors.append(f"line {number}: {username!r} is listed twice (also on line {seen[username]})")
            continue
        seen[username] = number
        rows.append(InviteRow(line=number, username=username, email=email))
    if not errors and not rows:
        errors.append("the list has no candidates")
    if len(rows) > MAX_INVITES:
        errors.append(f"at most {MAX_INVITES} candidates at a time (this list has {len(rows)}): split it")
    if errors:
        raise ValidationError(errors)
    return rows


@transaction.atomic
def candidates_invite(*, test: Test, rows: Sequence[InviteRow]) -> InviteReport:
    """Invite every row to `test`, creating accounts (with a generated password) for new usernames.

    An existing account is never changed, and an existing application keeps its status (a rejected
    candidate stays rejected). Staff accounts are refused.
    """
    user_model: Any = get_user_model()
    report = InviteReport()
    for row in rows:
        user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: row.username}).first()
        if user is None:
            password = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
            user = user_model(**{user_model.USERNAME_FIELD: row.username, "email": row.email})
            user.set_password(password)
            user.full_clean()
            user.save()
            report.created.append((row.username, row.email, password))
        elif user.is_staff or is_recruiter(user):
            report.refused.append((row.username, "a staff account cannot be a candidate"))
            continue
        else:
            existing = CandidateApplication.objects.filter(candidate=user, test=test).first()
            if existing is not None:
                report.already.append((row.username, existing.get_status_display()))
                continue
            report.invited.append(row.username)
        application = CandidateApplication(candidate=user, test=test, status=CandidateApplication.Status.INVITED)
        application.full_clean()
        application.save()
    logger.info(
        "test %s: %d account(s) created, %d invited, %d already there, %d refused",
        test.pk,
        len(report.created),
        len(report.invited),
        len(report.already),
        len(report.refused),
    )
    return report


@transaction.atomic
def applications_status_set(*, applications: QuerySet[CandidateApplication], status: str) -> int:
    """Shortlist or reject (any status) several applications; returns how many changed."""
    if status not in CandidateApplication.Status.values:
        raise ApplicationError("invalid_status", f"Unknown application status {status!r}.")
    ids = list(applications.exclude(status=status).values_list("pk", flat=True))
    for application in CandidateApplication.objects.select_for_update().filter(pk__in=ids):
        application.status = status
        application.full_clean()
        application.save(update_fields=["status", "updated_at"])
    return len(ids)


# ---------------------------------------------------------------- attempts


@dataclass(frozen=True)
class ResetResult:
    assessment_id: int
    candidate: str
    test_id: int
    attempt_number: int
    was_running: bool
    responses_deleted: int


@transaction.atomic
def assessment_reset(*, assessment_id: int, by: str = "") -> ResetResult:
    """Delete a candidate's latest attempt and its whole record, so they may start again.

    The attempt count is the number of attempts, so this gives one attempt back. A running attempt
    is terminated first (the connected candidate hears `assessment_completed`, reason `terminated`).
    Only the latest attempt may be reset: attempt numbers stay 1..n without gaps.
    """
    assessment = (
        Assessment.objects.select_for_update(of=("self",)).select_related("candidate").filter(pk=assessment_id).first()
    )
    if assessment is None:
        raise ApplicationError("assessment_not_found", f"Assessment {assessment_id} does not exist.", status=404)
    latest = (
        Assessment.objects.filter(candidate_id=assessment.candidate_id, test_id=assessment.test_id)
        .order_by("-attempt_number")
        .values_list("pk", flat=True)
        .first()
    )
    if latest != assessment.pk:
        raise ApplicationError(
            "not_latest_attempt",
            f"Assessment {assessment_id} is not this candidate's latest attempt at the test (that is {latest}); "
            "only the latest attempt can be reset.",
            status=409,
        )
    was_running = assessment.status == Assessment.Status.IN_PROGRESS
    if was_running:
        assessment_terminate(assessment_id=assessment.pk, reason=f"reset{f' by {by}' if by else ''}")
    responses = Response.objects.filter(assessment=assessment).count()
    result = ResetResult(
        assessment_id=assessment.pk,
        candidate=assessment.candidate.get_username(),
        test_id=assessment.test_id,
        attempt_number=assessment.attempt_number,
        was_running=was_running,
        responses_deleted=responses,
    )
    assessment.delete()
    logger.info("assessment %s (attempt %s) reset by %s", result.assessment_id, result.attempt_number, by or "?")
    return result


# ---------------------------------------------------------------- regrade


@dataclass(frozen=True)
class AttemptRescore:
    """One attempt's scores before and after a regrade."""

    assessment_id: int
    candidate: str
    attempt_number: int
    old_score: int
    new_score: int
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

    @property
    def changed(self) -> list[AttemptRescore]:
        return [r for r in self.rescores if r.changed]


@dataclass
class _Scored:
    """An attempt's recomputed state: the rescore, and what to write when applied."""

    rescore: AttemptRescore
    correctness: dict[int, bool | None]  # response id -> is_correct, for the responses that change
    original_max_score: int
    ability: dict[str, Any] | None


def _attempt_score(
    *,
    assessment: Assessment,
    responses: Iterable[Response],
    keys: Mapping[int, int],
    voided: set[int],
    pass_percentage: float,
    skill_names: Mapping[int, str],
) -> _Scored:
    regrade_state = assessment.ai_state.get("regrade", {})
    original_max = int(regrade_state.get("original_max_score", assessment.max_score))
    score = 0
    voided_asked = 0
    correctness: dict[int, bool | None] = {}
    overall: list[tuple[float, bool]] = []
    per_skill: dict[int, list[tuple[float, bool]]] = {}
    for response in responses:
        question = response.question
        if response.selected_option is not None:
            correct = response.selected_option == keys.get(question.pk, question.correct_option)
            if correct != response.is_correct:
                correctness[response.pk] = correct
        else:
            correct = False
        if question.pk in voided:
            voided_asked += 1
            continue
        if response.selected_option is not None:
            score += int(correct)
            pair = (difficulty_logit(question.difficulty), correct)
            overall.append(pair)
            per_skill.setdefault(question.skill_id, []).append(pair)
    new_max = max(original_max - voided_asked, 0)
    percentage = round(100.0 * score / new_max, 2) if new_max else 0.0
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
        new_score=score,
        old_max_score=assessment.max_score,
        new_max_score=new_max,
        old_percentage=assessment.percentage_score,
        new_percentage=percentage,
        old_passed=assessment.passed,
        new_passed=percentage >= pass_percentage,
    )
    return _Scored(rescore=rescore, correctness=correctness, original_max_score=original_max, ability=ability)


def _regrade_check(*, question: Question, action: str, new_correct_option: int | None) -> None:
    if action not in QuestionRegrade.Action.values:
        raise ApplicationError("invalid_action", f"Unknown regrade action {action!r}.")
    if question_is_void(question=question) and action != QuestionRegrade.Action.RESCORE:
        raise ApplicationError("question_void", "This question is already void; only a re-score is possible.")
    if action == QuestionRegrade.Action.REKEY:
        options = question.options if isinstance(question.options, list) else []
        if new_correct_option is None or not 0 <= new_correct_option < len(options):
            raise ApplicationError(
                "invalid_key", f"The new key must be an option index between 0 and {len(options) - 1}."
            )
        if new_correct_option == question.correct_option:
            raise ApplicationError("same_key", "That is already the key of this question.")


def _regrade_compute(
    *, question: Question, action: str, new_correct_option: int | None, lock: bool
) -> tuple[list[tuple[Assessment, _Scored]], list[int]]:
    test = question.test
    voided = blueprint_voided_question_ids(test_id=test.pk)
    if action == QuestionRegrade.Action.VOID:
        voided.add(question.pk)
    keys = (
        {question.pk: new_correct_option}
        if action == QuestionRegrade.Action.REKEY and new_correct_option is not None
        else {}
    )
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
                    skill_names=skill_names,
                ),
            )
        )
    return scored, skipped


def question_regrade_plan(*, question: Question, action: str, new_correct_option: int | None = None) -> RegradePlan:
    """The dry run: every finished attempt that saw `question`, with its scores now and after the regrade."""
    _regrade_check(question=question, action=action, new_correct_option=new_correct_option)
    scored, skipped = _regrade_compute(
        question=question, action=action, new_correct_option=new_correct_option, lock=False
    )
    return RegradePlan(
        question=question,
        action=action,
        new_correct_option=new_correct_option,
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
    reason: str = "",
) -> QuestionRegrade:
    """Void `question`, change its key, or only re-score; re-score every finished attempt that saw it."""
    question = Question.objects.select_for_update().select_related("test").get(pk=question.pk)
    _regrade_check(question=question, action=action, new_correct_option=new_correct_option)
    old_key = question.correct_option
    if action == QuestionRegrade.Action.REKEY and new_correct_option is not None:
        question.correct_option = new_correct_option
        question.full_clean()
        question.save(update_fields=["correct_option"])
    elif action == QuestionRegrade.Action.VOID:
        question.active = False
        question.save(update_fields=["active"])
    scored, skipped = _regrade_compute(
        question=question, action=action, new_correct_option=new_correct_option, lock=True
    )
    voided = blueprint_voided_question_ids(test_id=question.test_id)
    if action == QuestionRegrade.Action.VOID:
        voided.add(question.pk)
    for assessment, result in scored:
        for response_id, correct in result.correctness.items():
            Response.objects.filter(pk=response_id).update(is_correct=correct)
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
