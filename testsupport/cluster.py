"""The live tests' one `cluster` fixture: daphne workers for a single test (a pytest plugin, named in
the root conftest). `@pytest.mark.cluster(count=1, env={...})` on a test or its module sizes them and
sets their environment; unmarked, a test gets two workers with the live defaults."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from testsupport.live import Cluster


@pytest.fixture
async def cluster(request: pytest.FixtureRequest, transactional_db: None, tmp_path: Path) -> AsyncIterator["Cluster"]:
    """Committed data is visible to the workers (`transactional_db`), and they are stopped before the
    tables are truncated, so none of them holds a connection or a lock while that runs."""
    from testsupport.live import live_cluster  # imports the models: only once Django is set up

    marker = request.node.get_closest_marker("cluster")
    options = marker.kwargs if marker else {}
    async with live_cluster(tmp_path, count=options.get("count", 2), env_overrides=options.get("env")) as running:
        yield running
