import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")

import pytest  # noqa: E402


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
