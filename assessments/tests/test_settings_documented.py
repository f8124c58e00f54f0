"""Every environment variable the settings read is documented in .env.example and the README."""

import re
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
