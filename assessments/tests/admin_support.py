"""Helpers shared by the admin tests: admin URLs, changelist actions, an attempt with one of each record the
Assessment page shows inline, and the fast password hasher of the model-admin tests."""

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from assessments.models import Assessment, AssessmentEvent, ChatMessage, IntegrityEvent, Response, Test
from assessments.tests.factories import ApplicationFactory, AssessmentFactory, QuestionFactory, SkillFactory


def admin_url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def attempt_create(*, test: Test, candidate: object = None, chat: str = "What does ORM stand for?") -> Assessment:
    """An attempt with one of each record the Assessment page shows inline."""
    application = ApplicationFactory.create(test=test, **({"candidate": candidate} if candidate else {}))
    assessment = AssessmentFactory.create(test=test, candidate=application.candidate, application=application)
    question = test.questions.first() or QuestionFactory.create(skill=SkillFactory.create(test=test))
    now = timezone.now()
    Response.objects.create(
        assessment=assessment,
        question=question,
        position=1,
        option_order=[0, 1, 2, 3],
        asked_at=now - timedelta(seconds=30),
        answered_at=now,
        selected_option=0,
        is_correct=True,
        time_taken_ms=30_000,
    )
    ChatMessage.objects.create(assessment=assessment, role=ChatMessage.Role.CANDIDATE, content=chat)
    AssessmentEvent.objects.create(assessment=assessment, seq=1, type="question", payload={"position": 1})
    IntegrityEvent.objects.create(assessment=assessment, kind=IntegrityEvent.Kind.TAB_HIDDEN)
    return assessment


def changelist(model: str) -> str:
    return reverse(f"admin:assessments_{model}_changelist")


def action(client: Client, model: str, name: str, ids: list[int], **params: Any) -> Any:
    return client.post(
        changelist(model), {"action": name, "_selected_action": [str(i) for i in ids], **params}, follow=True
    )


# Autouse in each module that imports it (test_admin_pages.py, test_admin_scoping.py).
@pytest.fixture(autouse=True)
def fast_password_hasher(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def option_fields(options: list[str], key: int) -> dict[str, str]:
    """The question form's option fields (one per option) and its key radio, as a browser posts them."""
    return {**{f"option_{i + 1}": text for i, text in enumerate(options)}, "key": str(key)}
