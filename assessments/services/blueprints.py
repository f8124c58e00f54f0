"""Writes to a test's blueprint: the test, its skills and bank questions, and who may take it.

Every function is keyword-only and atomic, validates with `full_clean()` before saving, and
raises `ApplicationError` (or Django's `ValidationError` for invalid fields, with dotted paths
such as `questions.1.options`).
"""

import copy
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Count, ProtectedError, Q

from assessments.errors import ApplicationError, BackOfficeCode
from assessments.models import Assessment, Difficulty, Question, Skill, Test
from assessments.selectors.regrades import blueprint_voided_question_ids

logger = logging.getLogger(__name__)

OFFLINE_PROVIDER = "offline"


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


class AdminTestFields(TestFields, total=False):
    """What the admin may write besides: the precision target, how questions with several correct
    options are scored, the exposure control, time given back for lost connections, and (superusers)
    the owner."""

    se_target: float | None
    multi_select_scoring: str
    max_exposure_rate: float
    disconnect_policy: str
    disconnect_credit_minutes: int
    created_by: User


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
    # A question with several correct options lists them all (`correct_option` is then its lowest).
    kind: str = Question.Kind.SINGLE
    correct_options: tuple[int, ...] = ()


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
                BackOfficeCode.SKILL_HAS_QUESTIONS,
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
        kind=spec.kind,
        correct_options=sorted(spec.correct_options),
    )
    question.full_clean()
    return question


def _publish_readiness_check(*, test: Test) -> None:
    """Raise naming what keeps `test` from being published."""
    counts: list[tuple[str, int]] = list(
        test.skills.annotate(active=Count("questions", filter=Q(questions__active=True))).values_list("name", "active")
    )
    if not counts:
        raise ApplicationError(BackOfficeCode.NO_SKILLS, "A test needs at least one skill before it can be published.")
    if settings.JATAYU_AI_PROVIDER != OFFLINE_PROVIDER:
        return  # questions are generated; the bank is optional
    empty = [name for name, active in counts if active == 0]
    if empty:
        names = ", ".join(repr(name) for name in empty)
        raise ApplicationError(
            BackOfficeCode.SKILL_WITHOUT_QUESTIONS,
            f"Skill(s) {names} have no active bank questions; with the offline question provider "
            "every skill needs at least one.",
            extra={"skills": empty},
        )
    bank = sum(active for _, active in counts)
    if bank < test.total_questions:
        raise ApplicationError(
            BackOfficeCode.BANK_TOO_SMALL,
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


def blueprint_update_check(*, test: Test, fields: TestFields) -> None:
    """What `blueprint_update` would refuse, checked without writing (a form shows it as its errors):
    the status rule, and whether a published test stays publishable with the new values."""
    current = Test.objects.filter(pk=test.pk).values_list("status", flat=True).first()
    _check_status_write(current=current, fields=fields)
    if fields.get("status", current) == Test.Status.PUBLISHED:
        proposed = copy.copy(test)
        for name, value in fields.items():
            setattr(proposed, name, value)
        _publish_readiness_check(test=proposed)


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
            BackOfficeCode.TEST_ARCHIVED,
            "An archived test cannot be published; set its status back to draft first.",
            status=409,
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
        BackOfficeCode.TEST_HAS_ATTEMPTS,
        "This test has attempts and cannot be deleted; archive it instead.",
        status=409,
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
    active: bool = True,
    kind: str = Question.Kind.SINGLE,
    correct_options: Sequence[int] = (),
) -> Question:
    """Add one bank question to `test`, under its skill named `skill`; a `multiple` one with every
    correct option in `correct_options` (at least two, and at least one option left wrong)."""
    spec = QuestionSpec(
        skill=skill,
        prompt=prompt,
        options=list(options),
        correct_option=min(correct_options) if kind == Question.Kind.MULTIPLE and correct_options else correct_option,
        explanation=explanation,
        difficulty=difficulty,
        kind=kind,
        correct_options=tuple(correct_options),
    )
    skills_by_name = {s.name: s for s in test.skills.all()}
    question = _question_build(test=test, skills_by_name=skills_by_name, spec=spec)
    question.active = active
    question.save()
    return question


COPY_PREFIX = "Copy of "


# Every setting a recruiter may write but the title and status, and the adaptive stopping rule.
_COPIED_TEST_FIELDS = (
    *(f for f in TestFields.__annotations__ if f not in {"title", "status"}),
    "se_target",
    "multi_select_scoring",
)


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
            kind=q.kind,
            correct_options=list(q.correct_options),
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
