"""Fixtures shared by the back-office tests (admin pages, services) and by the tests of /api/tests/."""

from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.test import Client

from assessments import models
from assessments.roles import recruiters_group_sync
from assessments.tests import factories
from assessments.tests.factories import RecruiterFactory, published_test_with_bank


@pytest.fixture
def group_sends(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """What is sent to channel-layer groups (on commit: use django_capture_on_commit_callbacks)."""
    layer = get_channel_layer()
    sent: list[tuple[str, dict[str, Any]]] = []

    async def record(group: str, message: dict[str, Any]) -> None:
        sent.append((group, message))

    monkeypatch.setattr(layer, "group_send", record)
    return sent


@pytest.fixture
def recruiter_client(client: Client) -> tuple[Client, Any]:
    """A client logged in as a new recruiter (in the recruiters group), and that recruiter."""
    recruiters_group_sync()
    recruiter = RecruiterFactory.create()
    client.force_login(recruiter)
    return client, recruiter


@pytest.fixture
def own_test(recruiter_client: tuple[Client, Any]) -> models.Test:
    """The admin tests' published test of the `recruiter_client` recruiter: a bank of 4, 3 questions an attempt.

    test_api_questions.py defines an `own_test` of its own."""
    return published_test_with_bank(created_by=recruiter_client[1], questions=4, total_questions=3)


@pytest.fixture
def as_recruiter(api_client, recruiter):
    """The API client authenticated as `recruiter` (some API test modules define their own, the same)."""
    api_client.force_authenticate(recruiter)
    return api_client


@pytest.fixture
def own_draft(recruiter) -> models.Test:
    """A draft of `recruiter` with the skills SQL and Python and no questions, 2 questions an attempt."""
    test = factories.TestFactory(created_by=recruiter, status=models.Test.Status.DRAFT, total_questions=2)
    factories.SkillFactory(test=test, name="SQL", order=0)
    factories.SkillFactory(test=test, name="Python", order=1)
    return test
