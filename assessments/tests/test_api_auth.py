"""JWT login, refresh and logout, and /api/me/."""

import pytest
from django.contrib.auth.models import User

from assessments.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/auth/token/"
REFRESH = "/api/auth/token/refresh/"
LOGOUT = "/api/auth/logout/"
ME = "/api/me/"


def login(api_client, user: User) -> dict[str, str]:
    response = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_login_returns_access_and_refresh_tokens(api_client, candidate):
    tokens = login(api_client, candidate)

    assert set(tokens) == {"access", "refresh"}


def test_login_with_a_wrong_password_is_401_in_the_error_shape(api_client, candidate):
    response = api_client.post(TOKEN, {"username": candidate.username, "password": "wrong"}, format="json")

    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "no_active_account"
    assert body["detail"]


def test_login_without_a_password_is_400_naming_the_field(api_client, candidate):
    response = api_client.post(TOKEN, {"username": candidate.username}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "password" in response.json()["fields"]


def test_refresh_gives_a_new_access_token(api_client, candidate):
    tokens = login(api_client, candidate)

    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 200
    assert "access" in response.json()


def test_logout_blacklists_the_refresh_token(api_client, candidate):
    tokens = login(api_client, candidate)

    logout = api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    refresh = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")

    assert logout.status_code == 204
    assert refresh.status_code == 401
    assert refresh.json()["code"] == "token_not_valid"


def test_logout_twice_is_401(api_client, candidate):
    tokens = login(api_client, candidate)
    api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    again = api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    assert again.status_code == 401
    assert again.json()["code"] == "token_not_valid"
    assert again.headers["WWW-Authenticate"].startswith("Bearer")


def test_logout_with_a_garbage_token_is_401(api_client, db):
    response = api_client.post(LOGOUT, {"refresh": "not-a-token"}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_logout_with_an_access_token_instead_of_a_refresh_token_is_401(api_client, candidate):
    tokens = login(api_client, candidate)

    response = api_client.post(LOGOUT, {"refresh": tokens["access"]}, format="json")

    assert response.status_code == 401


def test_logout_without_a_token_is_400(api_client, db):
    response = api_client.post(LOGOUT, {}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"refresh": ["This field is required."]}


def test_me_with_a_bearer_token_names_a_candidate(api_client, candidate):
    tokens = login(api_client, candidate)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    response = api_client.get(ME)

    assert response.status_code == 200
    assert response.json() == {"id": candidate.pk, "username": candidate.username, "role": "candidate"}


def test_me_names_a_recruiter(api_client, recruiter):
    api_client.force_authenticate(recruiter)

    assert api_client.get(ME).json()["role"] == "recruiter"


def test_me_names_a_superuser_a_recruiter(api_client):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    api_client.force_authenticate(admin)

    assert api_client.get(ME).json()["role"] == "recruiter"


def test_me_without_a_token_is_401(api_client, db):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_me_with_an_invalid_token_is_401_token_not_valid(api_client, db):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer nonsense")

    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def bearer(api_client, access: str):
    return api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {access}")


def test_after_logout_the_access_token_of_that_sign_in_is_refused(api_client, candidate):
    tokens = login(api_client, candidate)
    assert bearer(api_client, tokens["access"]).status_code == 200

    api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    response = bearer(api_client, tokens["access"])

    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"


def test_after_logout_a_new_sign_in_works_and_a_refresh_of_another_sign_in_gives_a_refused_access(
    api_client, candidate
):
    first, second = login(api_client, candidate), login(api_client, candidate)
    api_client.post(LOGOUT, {"refresh": first["refresh"]}, format="json")

    refreshed = api_client.post(REFRESH, {"refresh": second["refresh"]}, format="json").json()["access"]
    assert bearer(api_client, refreshed).status_code == 401  # issued before the logout: every sign-in ended
    assert bearer(api_client, login(api_client, candidate)["access"]).status_code == 200


def test_deactivating_a_user_refuses_their_tokens_even_once_active_again(
    api_client, candidate, django_capture_on_commit_callbacks
):
    tokens = login(api_client, candidate)
    with django_capture_on_commit_callbacks(execute=True):
        candidate.is_active = False
        candidate.save()
    candidate.is_active = True
    candidate.save()

    response = bearer(api_client, tokens["access"])

    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"


def test_issue_token_gives_a_token_of_the_current_version(api_client, candidate):
    from io import StringIO

    from django.core.management import call_command

    api_client.post(LOGOUT, {"refresh": login(api_client, candidate)["refresh"]}, format="json")
    out = StringIO()
    call_command("issue_token", candidate.username, stdout=out)

    assert bearer(api_client, out.getvalue().strip()).status_code == 200


def test_sign_ins_past_the_rate_for_one_username_get_429_with_retry_after_even_with_the_right_password(
    api_client, candidate, settings
):
    wrong = [
        api_client.post(TOKEN, {"username": candidate.username, "password": f"guess{i}"}, format="json")
        for i in range(10)
    ]
    right = api_client.post(TOKEN, {"username": candidate.username, "password": PASSWORD}, format="json")

    assert [r.status_code for r in wrong] == [401] * 10
    assert right.status_code == 429
    assert right.json()["code"] == "throttled"
    assert int(right.headers["Retry-After"]) > 0


def test_one_address_trying_many_usernames_is_throttled_too(api_client, db):
    tries = [
        api_client.post(TOKEN, {"username": f"nobody{i}", "password": "x"}, format="json").status_code
        for i in range(11)
    ]

    assert tries == [401] * 10 + [429]


def test_another_address_may_still_sign_in_to_an_account_others_are_not_guessing(api_client, candidate):
    for i in range(10):
        api_client.post(TOKEN, {"username": f"nobody{i}", "password": "x"}, format="json", REMOTE_ADDR="10.0.0.9")

    response = api_client.post(TOKEN, {"username": candidate.username, "password": PASSWORD}, format="json")

    assert response.status_code == 200
