"""Production settings pass Django's deployment check, and the public development key never serves
anything but loopback."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from channels.testing import ApplicationCommunicator

from jatayu.dev_key import REFUSAL, LoopbackOnly, bind_addresses
from testsupport.faults import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def production_env(**env: str) -> dict[str, str]:
    """The process environment with only what production sets: no test-suite HTTPS_ONLY=0, a real key."""
    base = {name: value for name, value in os.environ.items() if name not in ("HTTPS_ONLY", "DATABASE_URL")}
    return {
        **base,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SETTINGS_MODULE": "jatayu.settings",
        **env,
    }


def deploy_check(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(**env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_production_settings_pass_the_deploy_check_at_warning_level() -> None:
    checked = deploy_check()
    assert checked.returncode == 0, checked.stderr
    assert "no issues" in checked.stdout


def test_serving_plain_http_on_purpose_is_what_the_deploy_check_warns_about() -> None:
    checked = deploy_check(HTTPS_ONLY="0")
    assert checked.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in checked.stderr


def test_the_health_check_is_the_one_path_served_over_plain_http() -> None:
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.test import Client; c = Client();"
            "print(c.get('/api/health/').status_code, c.get('/api/me/').status_code, c.get('/api/me/')['Location'])",
        ],
        env=production_env(ALLOWED_HOSTS="testserver"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.stdout.split() == ["200", "301", "https://testserver/api/me/"], shown.stderr


def test_daphne_with_the_development_key_refuses_to_bind_a_public_address() -> None:
    env = {name: value for name, value in os.environ.items() if name != "SECRET_KEY"}
    env.update(DEBUG="1", DJANGO_SETTINGS_MODULE="jatayu.settings")
    started = subprocess.run(  # noqa: S603 - a fixed command line
        [str(BIN / "daphne"), "-b", "0.0.0.0", "-p", str(free_port()), "jatayu.asgi:application"],  # noqa: S104
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert started.returncode != 0
    assert REFUSAL in started.stderr
    assert "Asked to bind 0.0.0.0" in started.stderr


@pytest.mark.parametrize(
    ("argv", "hosts"),
    [
        (["daphne", "-b", "0.0.0.0", "-p", "8000", "jatayu.asgi:application"], ["0.0.0.0"]),  # noqa: S104
        (["daphne", "--bind=::", "app"], ["::"]),
        (["manage.py", "runserver", "0.0.0.0:8000"], ["0.0.0.0"]),  # noqa: S104
        (["manage.py", "runserver", "8000"], []),
        (["daphne", "jatayu.asgi:application"], []),
    ],
)
def test_the_bound_addresses_are_read_from_daphne_and_runserver_command_lines(argv, hosts) -> None:
    assert bind_addresses(argv) == hosts


async def inner_app(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"served"})


@pytest.mark.parametrize(("host", "status"), [("127.0.0.1", 200), ("::1", 200), ("192.0.2.7", 403), ("10.1.2.3", 403)])
async def test_with_the_development_key_a_request_through_a_public_address_is_refused(host, status) -> None:
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "server": (host, 8000)}
    communicator = ApplicationCommunicator(LoopbackOnly(inner_app), scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(2)
    body = await communicator.receive_output(2)
    assert start["status"] == status
    assert body["body"] == (b"served" if status == 200 else REFUSAL.encode())


async def test_with_the_development_key_a_websocket_through_a_public_address_is_closed_unaccepted() -> None:
    scope = {"type": "websocket", "path": "/ws/", "headers": [], "server": ("192.0.2.7", 8000)}
    communicator = ApplicationCommunicator(LoopbackOnly(inner_app), scope)
    await communicator.send_input({"type": "websocket.connect"})
    assert await communicator.receive_output(2) == {"type": "websocket.close", "code": 1008}
