"""GET /api/health/: database and channel layer, 200 when both answer and 503 naming the one that does not."""

import asyncio

import pytest
from django.db import OperationalError

from assessments.api import health

pytestmark = pytest.mark.django_db

HEALTH = "/api/health/"


class BrokenConnection:
    def cursor(self):
        raise OperationalError("could not connect to server")


class SilentLayer:
    """A channel layer that accepts messages and never delivers them."""

    async def new_channel(self, prefix: str = "specific") -> str:
        return f"{prefix}.silent!x"

    async def send(self, channel: str, message: dict) -> None:
        return None

    async def receive(self, channel: str) -> dict:
        await asyncio.Event().wait()
        return {}


class FailingLayer(SilentLayer):
    async def send(self, channel: str, message: dict) -> None:
        raise ConnectionError("redis is down")


def test_health_is_ok_without_a_token(api_client):
    response = api_client.get(HEALTH)

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "channel_layer": "ok"}


def test_health_ignores_a_bad_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer expired-or-garbage")

    assert api_client.get(HEALTH).status_code == 200


def test_a_failing_database_is_503_naming_it(api_client, monkeypatch):
    monkeypatch.setattr(health, "connection", BrokenConnection())

    response = api_client.get(HEALTH)

    assert response.status_code == 503
    body = response.json()
    assert body["database"].startswith("error")
    assert "OperationalError" in body["database"]
    assert body["channel_layer"] == "ok"


def test_a_failing_channel_layer_is_503_naming_it(api_client, monkeypatch):
    monkeypatch.setattr(health, "get_channel_layer", FailingLayer)

    response = api_client.get(HEALTH)

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "channel_layer": "error: ConnectionError"}


def test_a_missing_channel_layer_is_an_error(monkeypatch):
    monkeypatch.setattr(health, "get_channel_layer", lambda: None)

    assert health.channel_layer_check() == "error: RuntimeError"


def test_a_channel_layer_that_never_delivers_times_out(monkeypatch):
    monkeypatch.setattr(health, "get_channel_layer", SilentLayer)

    assert health.channel_layer_check(timeout=0.05) == "error: no reply within 0.05 s"
