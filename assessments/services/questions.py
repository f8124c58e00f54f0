"""Changes to bank questions: one question's edit, and what recruiters do in bulk (retire or restore
them, promote AI-generated items into the bank).

Once a question has been answered, its options and key are locked: served option orders and scores
rest on them, and a key change goes through a regrade (`services.regrades`). A void question stays
inactive.
"""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from assessments.errors import ApplicationError, BackOfficeCode
from assessments.models import Question, QuestionRegrade, Response
from assessments.selectors.regrades import question_is_void
from assessments.services.bank_versions import bank_changed

LOCKED_WHEN_ANSWERED = ("options", "correct_option", "kind", "correct_options")


def _answered(question: Question) -> bool:
    return Response.objects.filter(question_id=question.pk).exists()


def question_change_check(*, question: Question, fields: Mapping[str, Any]) -> None:
    """Refuse a change to what an answered question's scores rest on, and switching a void one back on."""
    if question.pk is None:
        return
    current = Question.objects.filter(pk=question.pk).values(*LOCKED_WHEN_ANSWERED).first() or {}
    changed = [name for name in LOCKED_WHEN_ANSWERED if name in fields and fields[name] != current.get(name)]
    if changed and _answered(question):
        raise ApplicationError(
            BackOfficeCode.QUESTION_LOCKED,
            "Candidates have answered this question: its options and key are locked. "
            "Change the key or void it with Regrade.",
            status=409,
            extra={"fields": changed},
        )
    if fields.get("active") and question_is_void(question=question):
        raise ApplicationError(BackOfficeCode.QUESTION_VOID, "A void question cannot be activated.", status=409)


@transaction.atomic
def question_update(*, question: Question, fields: Mapping[str, Any]) -> Question:
    """Change one question's fields, under its row lock, within the rules above."""
    locked = Question.objects.select_for_update().get(pk=question.pk)
    question_change_check(question=locked, fields=fields)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    return locked


def question_delete_check(*, question: Question) -> None:
    if _answered(question):
        raise ApplicationError(
            BackOfficeCode.QUESTION_LOCKED,
            "Candidates have answered this question: it cannot be deleted. Deactivate it, or void it with Regrade.",
            status=409,
        )


@transaction.atomic
def question_delete(*, question: Question) -> None:
    """Delete a question no candidate has answered (their scores and reports rest on it)."""
    locked = Question.objects.select_for_update().get(pk=question.pk)
    question_delete_check(question=locked)
    locked.delete()


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
