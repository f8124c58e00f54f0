"""What the AI benchmarks (gate.py, tutor.py) share: Django set up with nothing configured, and the
`openai` provider pointed at one server."""

import logging
import os


def django_setup(*, quiet_below: int) -> None:
    """Django with the settings `make run` uses when nothing is configured; log records below
    `quiet_below` are dropped, so the figures are what the run prints."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jatayu.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ.setdefault("CHANNEL_LAYER", "memory")
    import django

    django.setup()
    logging.disable(quiet_below)


def provider_at(base_url: str) -> None:
    """The `openai` provider, talking to `base_url` (a real server, or a local fake)."""
    from django.conf import settings

    settings.JATAYU_AI_PROVIDER = "openai"
    settings.OPENAI_BASE_URL = base_url
    settings.OPENAI_API_KEY = settings.OPENAI_API_KEY or "not-needed"
