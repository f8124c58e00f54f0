"""Keeping each test's `bank_version` moving whenever what `selectors.bank` caches changes.

Saves and deletes of skills, questions and regrades bump it by signal, so no write path (service,
admin form, inline, shell) can forget; bulk `update()`s call `bank_changed` themselves.
"""

from typing import Any

from django.db.models import F
from django.db.models.signals import post_delete, post_save, pre_save

from assessments.models import Question, QuestionRegrade, Skill, Test


def bank_changed(*, test_id: int) -> None:
    """Every process reloads this test's bank on its next read of the test's row."""
    Test.objects.filter(pk=test_id).update(bank_version=F("bank_version") + 1)


def _question_test_remembered(sender: Any, instance: Question, **kwargs: Any) -> None:
    """A question moved to another test leaves its old test's bank too."""
    if instance.pk is not None and not kwargs.get("raw"):
        instance._test_before = Question.objects.filter(pk=instance.pk).values_list("test_id", flat=True).first()  # type: ignore[attr-defined]


def _skill_or_question_changed(sender: Any, instance: Skill | Question, **kwargs: Any) -> None:
    if kwargs.get("raw"):  # loaddata
        return
    bank_changed(test_id=instance.test_id)
    before = getattr(instance, "_test_before", None)
    if before is not None and before != instance.test_id:
        bank_changed(test_id=before)


def _regrade_recorded(sender: Any, instance: QuestionRegrade, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    test_id = Question.objects.filter(pk=instance.question_id).values_list("test_id", flat=True).first()
    if test_id is not None:
        bank_changed(test_id=test_id)


def bank_versions_connect() -> None:
    for model in (Skill, Question):
        post_save.connect(_skill_or_question_changed, sender=model, dispatch_uid=f"bank_version_{model.__name__}")
        post_delete.connect(
            _skill_or_question_changed, sender=model, dispatch_uid=f"bank_version_{model.__name__}_delete"
        )
    pre_save.connect(_question_test_remembered, sender=Question, dispatch_uid="bank_version_question_before")
    post_save.connect(_regrade_recorded, sender=QuestionRegrade, dispatch_uid="bank_version_regrade")
    post_delete.connect(_regrade_recorded, sender=QuestionRegrade, dispatch_uid="bank_version_regrade_delete")
