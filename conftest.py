"""Project-wide fixtures, and the rule for tests that need real services.

Tests marked `postgres`, `redis` or `live` run only when DATABASE_URL / REDIS_URL point at real
services (a `live` test also marked `sqlite_ok` runs with neither, on one worker), and tests marked `realmodel` only where the local model is installed
(`scripts/local-model ensure`); otherwise they are skipped, except under CI=true where a skipped
service test fails.
"""

import os

import pytest

pytest_plugins = [
    "assessments.tests.fake_openai",
    "testsupport.cluster",
    "testsupport.clocks",
    "testsupport.local_model",
]


def _missing_services(item: pytest.Item) -> list[str]:
    live = item.get_closest_marker("live") and not item.get_closest_marker("sqlite_ok")
    needs_postgres = item.get_closest_marker("postgres") or live
    needs_redis = item.get_closest_marker("redis") or live
    missing = []
    if needs_postgres and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        missing.append("PostgreSQL (DATABASE_URL)")
    if needs_redis and not os.environ.get("REDIS_URL", "").startswith("redis"):
        missing.append("Redis (REDIS_URL)")
    if item.get_closest_marker("sqlite_ok") and bool(os.environ.get("DATABASE_URL")) != bool(
        os.environ.get("REDIS_URL")
    ):
        missing.append("both DATABASE_URL and REDIS_URL, or neither (a worker and the tests share one layer)")
    from testsupport.local_model import missing_local_model  # a plugin below: imported once it is registered

    if model := missing_local_model(item):
        missing.append(model)
    return missing


def pytest_runtest_setup(item: pytest.Item) -> None:
    missing = _missing_services(item)
    if not missing:
        return
    reason = "needs " + " and ".join(missing)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}, and under CI=true a service test may not be skipped")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _throttles_count_per_test(monkeypatch):
    """Each test counts sign-in attempts from zero, in memory (never in the shared Redis)."""
    import uuid

    from django.core.cache.backends.locmem import LocMemCache
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "cache", LocMemCache(f"throttles-{uuid.uuid4()}", {}))


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def recruiter(db):
    from assessments.tests.factories import RecruiterFactory

    return RecruiterFactory()


@pytest.fixture
def candidate(db):
    from assessments.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture(scope="session", autouse=True)
def _database_threads_closed_before_the_test_database_is_dropped(django_db_setup):
    """Socket database work runs on realtime.db's threads, each holding a connection of its own."""
    yield
    from realtime.db import connections_close

    connections_close()
