"""The admin's sign-in shares the API's sign-in budget, and the rest of the API is limited per user
and per anonymous address (the health check excepted)."""

import pytest
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import RefreshToken

from assessments.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"
TOKEN = "/api/auth/token/"


def admin_sign_in(client, username: str, password: str):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password, "next": "/admin/"})


@pytest.fixture
def rates(monkeypatch):
    """Set some throttle scopes' rates for one test (DRF reads them when a throttle is made)."""

    def set_rates(**scoped: str) -> None:
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, **scoped})

    return set_rates


def test_admin_sign_ins_past_the_rate_get_429_with_retry_after_even_with_the_right_password(client, recruiter):
    wrong = [admin_sign_in(client, recruiter.username, f"guess{i}") for i in range(10)]
    right = admin_sign_in(client, recruiter.username, PASSWORD)

    assert [r.status_code for r in wrong] == [200] * 10  # the form again, with its error
    assert right.status_code == 429
    assert int(right["Retry-After"]) > 0
    assert "Too many sign-in attempts" in right.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still signed out


def test_admin_sign_in_under_the_rate_signs_in(client, recruiter):
    admin_sign_in(client, recruiter.username, "guess")
    response = admin_sign_in(client, recruiter.username, PASSWORD)

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_showing_the_admin_sign_in_page_is_not_an_attempt(client, recruiter):
    for _ in range(20):
        assert client.get(ADMIN_LOGIN).status_code == 200

    assert admin_sign_in(client, recruiter.username, PASSWORD).status_code == 302


def test_the_admin_and_the_api_share_one_sign_in_budget_per_username(client, api_client, recruiter):
    for i in range(5):
        api_client.post(TOKEN, {"username": recruiter.username, "password": f"g{i}"}, format="json")
    for i in range(5):
        admin_sign_in(client, recruiter.username, f"h{i}")

    assert admin_sign_in(client, recruiter.username, PASSWORD).status_code == 429
    api = api_client.post(TOKEN, {"username": recruiter.username, "password": PASSWORD}, format="json")
    assert api.status_code == 429


def test_api_requests_past_the_user_rate_get_429_and_other_users_are_served(api_client, candidate, recruiter, rates):
    rates(user="3/min")
    api_client.force_authenticate(candidate)
    served = [api_client.get("/api/me/").status_code for _ in range(3)]
    refused = api_client.get("/api/me/")
    api_client.force_authenticate(recruiter)
    other = api_client.get("/api/me/")

    assert served == [200] * 3
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert int(refused.headers["Retry-After"]) > 0
    assert other.status_code == 200


def test_anonymous_api_requests_past_the_address_rate_get_429(api_client, candidate, rates):
    rates(anon="2/min")
    refresh = [
        api_client.post("/api/auth/token/refresh/", {"refresh": str(RefreshToken.for_user(candidate))}, format="json")
        for _ in range(3)
    ]

    assert [r.status_code for r in refresh] == [200, 200, 429]
    assert refresh[2].json()["code"] == "throttled"


def test_the_health_check_is_never_throttled(api_client, rates):
    rates(anon="2/min", user="2/min")
    statuses = {api_client.get("/api/health/").status_code for _ in range(10)}

    assert 429 not in statuses
