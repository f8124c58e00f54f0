"""Every environment variable the settings read is documented in .env.example and the README."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READ = sorted(set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z_]+)"', (ROOT / "jatayu" / "settings.py").read_text())))


def test_settings_read_the_documented_core_variables():
    for name in (
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
    ):
        assert name in READ


@pytest.mark.parametrize("name", READ)
def test_variable_is_in_env_example_and_readme(name):
    assert re.search(rf"^#?\s*{name}=", (ROOT / ".env.example").read_text(), flags=re.M), name
    assert f"`{name}`" in (ROOT / "README.md").read_text(), name


def settings_started_with(setting: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Print one production setting from a fresh interpreter started with `env`."""
    return subprocess.run(  # noqa: S603 (our own interpreter, a setting name from this file)
        [sys.executable, "-c", f"from django.conf import settings; print(settings.{setting})"],
        env={**os.environ, "SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "jatayu.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(("value", "header"), [("1", "('HTTP_X_FORWARDED_PROTO', 'https')"), ("", "None")])
def test_behind_tls_proxy_trusts_x_forwarded_proto_only_when_set(value, header):
    shown = settings_started_with("SECURE_PROXY_SSL_HEADER", BEHIND_TLS_PROXY=value)
    assert shown.stdout.strip() == header


def test_a_stale_window_shorter_than_two_touches_is_refused_at_start_up():
    started = settings_started_with("DEBUG", JATAYU_SESSION_TOUCH_SECONDS="30", JATAYU_SESSION_STALE_SECONDS="45")
    assert started.returncode != 0
    assert "JATAYU_SESSION_STALE_SECONDS must be at least twice" in started.stderr


def test_production_settings_without_redis_refuse_to_start_unless_the_memory_layer_is_asked_for():
    """The in-memory layer used to be a silent fallback with DEBUG off: two workers then lost every
    kick-out and push between them."""
    refused = settings_started_with("CHANNEL_LAYERS", DEBUG="0", REDIS_URL="", CHANNEL_LAYER="")
    on_purpose = settings_started_with("CHANNEL_LAYERS", DEBUG="0", REDIS_URL="", CHANNEL_LAYER="memory")
    developing = settings_started_with("CHANNEL_LAYERS", DEBUG="1", REDIS_URL="", CHANNEL_LAYER="")

    assert refused.returncode != 0
    assert "REDIS_URL is not set" in refused.stderr
    assert "InMemoryChannelLayer" in on_purpose.stdout, on_purpose.stderr
    assert "InMemoryChannelLayer" in developing.stdout, developing.stderr
