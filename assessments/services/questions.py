"""Changes to bank questions that recruiters make in bulk: retire or restore them, and promote
AI-generated items into the bank."""

from django.db import transaction
from django.db.models import QuerySet

from assessments.models import (
    Question,
    QuestionRegrade,
)
from assessments.services.bank_versions import bank_changed


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
