"""Writes to a test's blueprint: the test, its skills and bank questions, and who may take it.

Every function is keyword-only and atomic, validates with `full_clean()` before saving, and
raises `ApplicationError` (or Django's `ValidationError` for invalid fields, with dotted paths
such as `questions.1.options`).
"""

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, ProtectedError, Q

from assessments.errors import ApplicationError
from assessments.models import Assessment, CandidateApplication, Difficulty, Question, Skill, Test
from assessments.roles import is_recruiter

logger = logging.getLogger(__name__)

OFFLINE_PROVIDER = "offline"
MIN_TIME_MULTIPLIER = 1.0
MAX_TIME_MULTIPLIER = 5.0
GENERATED_PASSWORD_BYTES = 12  # token_urlsafe(12) gives 16 characters


class TestFields(TypedDict, total=False):
    """The plain fields of a Test a recruiter may write."""

    title: str
    description: str
    job_description: str
    total_questions: int
    time_limit_minutes: int
    opens_at: datetime | None
    closes_at: datetime | None
    max_attempts: int
    pass_percentage: float
    feedback_mode: str
    requires_application: bool
    status: str


TEST_FIELD_NAMES: frozenset[str] = frozenset(TestFields.__annotations__)


@dataclass(frozen=True)
class SkillSpec:
    name: str
    weight: float = 1.0
    difficulty: str = Difficulty.MEDIUM


@dataclass(frozen=True)
class QuestionSpec:
    skill: str  # the skill's name within the test
    prompt: str
    options: list[str]
    correct_option: int
    explanation: str = ""
    difficulty: str = Difficulty.MEDIUM


@dataclass(frozen=True)
class CandidateAddResult:
    candidate: User
    application: CandidateApplication
    password: str | None  # set only when generated here
    user_created: bool
    application_created: bool


def _prefixed(exc: ValidationError, prefix: str) -> ValidationError:
    """The same errors, keyed by `prefix.field` (non-field errors by `prefix` alone)."""
    if not hasattr(exc, "error_dict"):
        return ValidationError({prefix: exc.messages})
    return ValidationError(
        {
            (prefix if field == NON_FIELD_ERRORS else f"{prefix}.{field}"): msgs
            for field, msgs in exc.message_dict.items()
        }
    )


def _check_status_write(*, current: str | None, fields: TestFields) -> None:
    wanted = fields.get("status")
    if wanted == Test.Status.PUBLISHED and current != Test.Status.PUBLISHED:
        raise ValidationError({"status": "A test is published only through its publish action."})


def _skills_replace(*, test: Test, skills: Sequence[SkillSpec]) -> dict[str, Skill]:
    """Make the test's skills exactly `skills`, in that order; skills are matched by name."""
    seen: set[str] = set()
    for index, spec in enumerate(skills):
        key = spec.name.strip().casefold()
        if key in seen:
            raise ValidationError({f"skills.{index}.name": f"The skill {spec.name!r} is listed twice."})
        seen.add(key)

    existing = {skill.name: skill for skill in test.skills.all()}
    wanted = {spec.name for spec in skills}
    removed = [skill for name, skill in existing.items() if name not in wanted]
    if removed:
        blocked = sorted(
            Skill.objects.filter(pk__in=[s.pk for s in removed])
            .annotate(question_count=Count("questions"))
            .filter(question_count__gt=0)
            .values_list("name", flat=True)
        )
        if blocked:
            names = ", ".join(repr(name) for name in blocked)
            raise ApplicationError(
                "skill_has_questions",
                f"Cannot remove skill(s) {names}: they have bank questions. Keep them in `skills`, "
                "or deactivate their questions first.",
                status=409,
                extra={"skills": blocked},
            )
        Skill.objects.filter(pk__in=[s.pk for s in removed]).delete()

    rows: dict[str, Skill] = {}
    for order, spec in enumerate(skills):
        skill = existing.get(spec.name) or Skill(test=test)
        skill.name = spec.name
        skill.weight = spec.weight
        skill.difficulty = spec.difficulty
        skill.order = order
        try:
            skill.full_clean()
        except ValidationError as exc:
            raise _prefixed(exc, f"skills.{order}") from exc
        skill.save()
        rows[skill.name] = skill
    return rows


def _question_build(*, test: Test, skills_by_name: Mapping[str, Skill], spec: QuestionSpec) -> Question:
    """A validated, unsaved bank question."""
    skill = skills_by_name.get(spec.skill)
    if skill is None:
        known = ", ".join(repr(name) for name in skills_by_name) or "none"
        raise ValidationError({"skill": f"The test has no skill named {spec.skill!r} (its skills: {known})."})
    question = Question(
        test=test,
        skill=skill,
        prompt=spec.prompt,
        options=list(spec.options),
        correct_option=spec.correct_option,
        explanation=spec.explanation,
        difficulty=spec.difficulty,
        source=Question.Source.BANK,
    )
    question.full_clean()
    return question


def _publish_readiness_check(*, test: Test) -> None:
    """Raise naming what keeps `test` from being published."""
    counts: list[tuple[str, int]] = list(
        test.skills.annotate(active=Count("questions", filter=Q(questions__active=True))).values_list("name", "active")
    )
    if not counts:
        raise ApplicationError("no_skills", "A test needs at least one skill before it can be published.")
    if settings.JATAYU_AI_PROVIDER != OFFLINE_PROVIDER:
        return  # questions are generated; the bank is optional
    empty = [name for name, active in counts if active == 0]
    if empty:
        names = ", ".join(repr(name) for name in empty)
        raise ApplicationError(
            "skill_without_questions",
            f"Skill(s) {names} have no active bank questions; with the offline question provider "
            "every skill needs at least one.",
            extra={"skills": empty},
        )
    bank = sum(active for _, active in counts)
    if bank < test.total_questions:
        raise ApplicationError(
            "bank_too_small",
            f"The bank has {bank} active question(s) but the test asks {test.total_questions}.",
            extra={"active_questions": bank, "total_questions": test.total_questions},
        )


@transaction.atomic
def blueprint_create(
    *,
    created_by: User,
    fields: TestFields,
    skills: Sequence[SkillSpec] = (),
    questions: Sequence[QuestionSpec] = (),
) -> Test:
    """Create a test with its skills and, optionally, its first bank questions; all or nothing."""
    _check_status_write(current=None, fields=fields)
    test = Test(created_by=created_by, **fields)
    test.full_clean()
    test.save()
    skills_by_name = _skills_replace(test=test, skills=skills)

    built: list[Question] = []
    errors: dict[str, list[str]] = {}
    for index, spec in enumerate(questions):
        try:
            built.append(_question_build(test=test, skills_by_name=skills_by_name, spec=spec))
        except ValidationError as exc:
            errors.update(_prefixed(exc, f"questions.{index}").message_dict)
    if errors:
        raise ValidationError(errors)
    for question in built:
        question.save()
    logger.info("test %s created by %s with %d question(s)", test.pk, created_by.pk, len(built))
    return test


@transaction.atomic
def blueprint_update(*, test: Test, fields: TestFields, skills: Sequence[SkillSpec] | None = None) -> Test:
    """Change a test's fields; `skills`, when given, replaces the whole ordered list.

    A test that stays published must still pass the publish rules afterwards.
    """
    test = Test.objects.select_for_update().get(pk=test.pk)
    _check_status_write(current=test.status, fields=fields)
    for name, value in fields.items():
        setattr(test, name, value)
    test.full_clean()
    test.save()
    if skills is not None:
        _skills_replace(test=test, skills=skills)
    if test.status == Test.Status.PUBLISHED:
        _publish_readiness_check(test=test)
    return test


@transaction.atomic
def blueprint_publish(*, test: Test, by: User) -> Test:
    """Publish a draft test once its skills and bank allow it; publishing again changes nothing."""
    test = Test.objects.select_for_update().get(pk=test.pk)
    if test.status == Test.Status.ARCHIVED:
        raise ApplicationError(
            "test_archived", "An archived test cannot be published; set its status back to draft first.", status=409
        )
    if test.status == Test.Status.PUBLISHED:
        return test
    _publish_readiness_check(test=test)
    test.status = Test.Status.PUBLISHED
    test.full_clean()
    test.save(update_fields=["status", "updated_at"])
    logger.info("test %s published by %s", test.pk, by.pk)
    return test


@transaction.atomic
def blueprint_delete(*, test: Test) -> None:
    """Delete a test that nobody has attempted yet."""
    conflict = ApplicationError(
        "test_has_attempts", "This test has attempts and cannot be deleted; archive it instead.", status=409
    )
    if Assessment.objects.filter(test=test).exists():
        raise conflict
    try:
        test.delete()
    except ProtectedError as exc:
        raise conflict from exc


@transaction.atomic
def question_create(
    *,
    test: Test,
    skill: str,
    prompt: str,
    options: Sequence[str],
    correct_option: int,
    explanation: str = "",
    difficulty: str = Difficulty.MEDIUM,
) -> Question:
    """Add one bank question to `test`, under its skill named `skill`."""
    spec = QuestionSpec(
        skill=skill,
        prompt=prompt,
        options=list(options),
        correct_option=correct_option,
        explanation=explanation,
        difficulty=difficulty,
    )
    skills_by_name = {s.name: s for s in test.skills.all()}
    question = _question_build(test=test, skills_by_name=skills_by_name, spec=spec)
    question.save()
    return question


def _candidate_account_get_or_create(
    *, username: str, email: str | None, password: str | None
) -> tuple[User, str | None, bool]:
    """The account named `username`, created when missing: (user, generated password, created).

    Safe against a concurrent request creating the same username: the unique index decides, and the
    loser uses the winner's account as an existing one (never learning its password).
    """
    user_model: Any = get_user_model()
    lookup = {user_model.USERNAME_FIELD: username}
    existing = user_model._default_manager.filter(**lookup).first()
    if existing is not None:
        return existing, None, False
    user = user_model(**lookup, email=email or "")
    generated: str | None = None
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
    else:
        password = generated = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    user.set_password(password)
    # Uniqueness is left to the database: a check here could pass for two racing requests alike.
    user.full_clean(validate_unique=False)
    try:
        with transaction.atomic():  # a savepoint: losing the race undoes only this insert
            user.save()
    except IntegrityError:
        existing = user_model._default_manager.filter(**lookup).first()
        if existing is None:
            raise  # not a duplicate username after all
        return existing, None, False
    return user, generated, True


def _application_get_or_create_locked(*, candidate: User, test: Test) -> tuple[CandidateApplication, bool]:
    """`candidate`'s application to `test`, row-locked, inserted with its defaults when missing."""
    applications = CandidateApplication.objects.select_for_update().filter(candidate=candidate, test=test)
    application = applications.first()
    if application is not None:
        return application, False
    try:
        with transaction.atomic():  # a savepoint, as above; the caller validates and saves its changes
            return CandidateApplication.objects.create(candidate=candidate, test=test), True
    except IntegrityError:
        application = applications.first()  # the racing request's row, committed: lock it
        if application is None:
            raise
        return application, False


@transaction.atomic
def candidate_add(
    *,
    test: Test,
    username: str,
    email: str | None = None,
    password: str | None = None,
    time_multiplier: float | None = None,
) -> CandidateAddResult:
    """Shortlist `username` for `test`, creating the candidate account when it does not exist.

    An existing account is never changed (neither its email nor its password): only its
    application is. A password is generated with `secrets` when a new account gets none.
    Concurrent calls for the same username make one account and one application: one caller
    sees them created, the others see them as existing.
    """
    if time_multiplier is not None and not MIN_TIME_MULTIPLIER <= time_multiplier <= MAX_TIME_MULTIPLIER:
        raise ValidationError(
            {"time_multiplier": f"time_multiplier must be between {MIN_TIME_MULTIPLIER} and {MAX_TIME_MULTIPLIER}."}
        )
    user, generated, user_created = _candidate_account_get_or_create(username=username, email=email, password=password)
    if not user_created and is_recruiter(user):
        raise ApplicationError(
            "user_is_recruiter", f"{username!r} is a recruiter account and cannot be added as a candidate.", status=409
        )

    application, application_created = _application_get_or_create_locked(candidate=user, test=test)
    application.status = CandidateApplication.Status.SHORTLISTED
    if time_multiplier is not None:
        application.time_multiplier = time_multiplier
    application.full_clean()
    application.save()
    return CandidateAddResult(
        candidate=user,
        application=application,
        password=generated,
        user_created=user_created,
        application_created=application_created,
    )
