"""POST /api/tests/{id}/candidates/: shortlisting candidates, creating their accounts when missing."""

import pytest
from django.contrib.auth.models import User

from assessments import models
from assessments.tests import factories

pytestmark = pytest.mark.django_db


def candidates_url(test: models.Test) -> str:
    return f"/api/tests/{test.pk}/candidates/"


@pytest.fixture
def own_test(recruiter) -> models.Test:
    return factories.published_test_with_bank(created_by=recruiter)


@pytest.fixture
def as_recruiter(api_client, recruiter):
    api_client.force_authenticate(recruiter)
    return api_client


def test_a_new_candidate_gets_an_account_a_generated_password_and_a_shortlisting(as_recruiter, own_test):
    response = as_recruiter.post(
        candidates_url(own_test), {"username": "dana", "email": "dana@example.com"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    user = User.objects.get(username="dana")
    application = models.CandidateApplication.objects.get(pk=body["application_id"])
    assert body["candidate_id"] == user.pk
    assert body["username"] == "dana"
    assert body["created"] is True
    assert len(body["password"]) >= 16
    assert user.check_password(body["password"])
    assert user.email == "dana@example.com"
    assert not user.is_staff
    assert (application.candidate, application.test) == (user, own_test)
    assert application.status == models.CandidateApplication.Status.SHORTLISTED
    assert application.time_multiplier == 1.0


def test_generated_passwords_differ(as_recruiter, own_test):
    first = as_recruiter.post(candidates_url(own_test), {"username": "p1"}, format="json").json()
    second = as_recruiter.post(candidates_url(own_test), {"username": "p2"}, format="json").json()

    assert first["password"] != second["password"]


def test_a_given_password_is_set_and_not_echoed(as_recruiter, own_test):
    response = as_recruiter.post(
        candidates_url(own_test),
        {"username": "erin", "password": "a-long-enough-passphrase", "time_multiplier": 1.5},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["password"] is None
    assert response.json()["time_multiplier"] == 1.5
    assert User.objects.get(username="erin").check_password("a-long-enough-passphrase")


def test_an_existing_account_is_shortlisted_without_being_changed(as_recruiter, own_test, candidate):
    payload = {"username": candidate.username, "email": "new@example.com", "password": "attacker-chosen-pass"}

    response = as_recruiter.post(candidates_url(own_test), payload, format="json")

    assert response.status_code == 201  # the application is new
    body = response.json()
    assert body["candidate_id"] == candidate.pk
    assert body["created"] is False
    assert body["password"] is None
    candidate.refresh_from_db()
    assert candidate.check_password(factories.PASSWORD)
    assert candidate.email != "new@example.com"
    assert models.CandidateApplication.objects.filter(candidate=candidate, test=own_test).exists()


def test_an_existing_application_is_shortlisted_again_with_the_new_multiplier(as_recruiter, own_test):
    application = factories.ApplicationFactory(
        test=own_test, status=models.CandidateApplication.Status.REJECTED, time_multiplier=1.25
    )

    response = as_recruiter.post(
        candidates_url(own_test), {"username": application.candidate.username, "time_multiplier": 2}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["application_id"] == application.pk
    application.refresh_from_db()
    assert application.status == models.CandidateApplication.Status.SHORTLISTED
    assert application.time_multiplier == 2.0
    assert models.CandidateApplication.objects.count() == 1


def test_adding_the_same_new_username_twice_is_201_then_200_for_one_account(as_recruiter, own_test):
    payload = {"username": "hana", "email": "hana@example.com"}

    first = as_recruiter.post(candidates_url(own_test), payload, format="json")
    second = as_recruiter.post(
        candidates_url(own_test), {**payload, "password": "another-long-passphrase"}, format="json"
    )

    assert (first.status_code, second.status_code) == (201, 200), second.content
    assert (first.json()["created"], second.json()["created"]) == (True, False)
    assert second.json()["password"] is None
    assert second.json()["candidate_id"] == first.json()["candidate_id"]
    assert second.json()["application_id"] == first.json()["application_id"]
    user = User.objects.get(username="hana")
    assert user.check_password(first.json()["password"])  # the second call changed nothing on the account
    assert models.CandidateApplication.objects.filter(candidate=user).count() == 1


def test_an_existing_application_keeps_its_multiplier_when_none_is_given(as_recruiter, own_test):
    application = factories.ApplicationFactory(test=own_test, time_multiplier=1.25)

    response = as_recruiter.post(candidates_url(own_test), {"username": application.candidate.username}, format="json")

    assert response.json()["time_multiplier"] == 1.25


def test_a_recruiter_account_cannot_be_added_as_a_candidate(as_recruiter, own_test):
    other = factories.RecruiterFactory()

    response = as_recruiter.post(candidates_url(own_test), {"username": other.username}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "user_is_recruiter"
    assert not models.CandidateApplication.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "frank", "email": "not-an-email"}, "email"),
        ({"username": "frank", "password": "short"}, "password"),
        ({"username": "frank", "time_multiplier": 0.5}, "time_multiplier"),
        ({"username": "frank", "time_multiplier": 6}, "time_multiplier"),
    ],
)
def test_invalid_input_is_400_naming_the_field_and_creates_nobody(as_recruiter, own_test, payload, field):
    response = as_recruiter.post(candidates_url(own_test), payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()
    assert not User.objects.filter(username__in=["frank", "has space"]).exists()
    assert not models.CandidateApplication.objects.exists()


def test_adding_candidates_needs_a_token(api_client, own_test):
    response = api_client.post(candidates_url(own_test), {"username": "gus"}, format="json")

    assert response.status_code == 401
    assert not User.objects.filter(username="gus").exists()


def test_candidates_may_not_add_candidates(api_client, candidate, own_test):
    api_client.force_authenticate(candidate)

    response = api_client.post(candidates_url(own_test), {"username": "gus"}, format="json")

    assert response.status_code == 403
    assert not User.objects.filter(username="gus").exists()
