"""One skill of a test's blueprint at a time, as the admin's inline edits them; the API replaces the
whole list through `blueprint_update`. A skill that has bank questions is never deleted: its
questions would go with it (the database refuses as well, `on_delete=RESTRICT`)."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from assessments.errors import ApplicationError, BackOfficeCode
from assessments.models import Skill, Test

SKILL_FIELDS = frozenset({"name", "weight", "difficulty", "order"})


def _fields_check(fields: Mapping[str, Any]) -> None:
    unknown = sorted(set(fields) - SKILL_FIELDS)
    if unknown:
        raise ValueError(f"not a skill field a recruiter writes: {', '.join(unknown)}")


@transaction.atomic
def skill_add(*, test: Test, fields: Mapping[str, Any]) -> Skill:
    _fields_check(fields)
    skill = Skill(test=test, **fields)
    skill.full_clean()
    skill.save()
    return skill


@transaction.atomic
def skill_update(*, skill: Skill, fields: Mapping[str, Any]) -> Skill:
    _fields_check(fields)
    locked = Skill.objects.select_for_update().get(pk=skill.pk)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    return locked


def skill_delete_check(*, skill: Skill) -> None:
    count = skill.questions.count()
    if count:
        raise ApplicationError(
            BackOfficeCode.SKILL_HAS_QUESTIONS,
            f"Cannot delete skill {skill.name!r}: it has {count} question(s). Move them to another skill, "
            "or keep the skill and deactivate them.",
            status=409,
            extra={"skills": [skill.name]},
        )


@transaction.atomic
def skill_delete(*, skill: Skill) -> None:
    locked = Skill.objects.select_for_update().get(pk=skill.pk)
    skill_delete_check(skill=locked)
    locked.delete()
