"""Fixtures shared by the back-office tests (admin pages, services)."""

from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.test import Client

from assessments.roles import recruiters_group_sync
from assessments.tests.factories import RecruiterFactory


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
