"""The browser tests: Debian's Chromium driven by Playwright against a live daphne.

The server is `testsupport.live.live_cluster` with one worker: production settings (DEBUG off,
static files through WhiteNoise) on the test database and the Redis of REDIS_URL. Data the test
commits is visible to it because these tests use `transactional_db`.
"""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

from testsupport.live import Cluster, live_cluster

CHROMIUM = Path(os.environ.get("JATAYU_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

expect.set_options(timeout=10_000)


@pytest.fixture
async def live(transactional_db: None, tmp_path: Path) -> AsyncIterator[Cluster]:
    async with live_cluster(tmp_path, count=1) as cluster:
        yield cluster


@pytest.fixture
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
async def browser(live: Cluster, chromium_path: Path) -> AsyncIterator[Browser]:
    """Chromium, closed before the server stops (it depends on `live` for that order)."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()
