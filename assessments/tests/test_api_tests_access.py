"""Who may call /api/tests/: a token is needed, candidates and staff outside the recruiters group are refused,
and a recruiter lists and reaches only their own tests."""

import pytest

from assessments import models
from assessments.tests import factories
from assessments.tests.api_tests_support import TESTS, detail
from assessments.tests.paging import whole_list

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------------ who may call


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", TESTS),
        ("post", TESTS),
        ("get", detail(1)),
        ("patch", detail(1)),
        ("delete", detail(1)),
        ("post", detail(1) + "publish/"),
    ],
)
def test_test_endpoints_need_a_token(api_client, db, method, path):
    response = getattr(api_client, method)(path, {}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("patch", ""), ("delete", ""), ("post", "publish/")],
)
def test_test_endpoints_refuse_candidates(api_client, candidate, own_draft, method, suffix):
    api_client.force_authenticate(candidate)

    response = getattr(api_client, method)(detail(own_draft.pk) + suffix, {}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert models.Test.objects.filter(pk=own_draft.pk, status=models.Test.Status.DRAFT).exists()


def test_candidates_may_neither_list_nor_create_tests(api_client, candidate):
    api_client.force_authenticate(candidate)

    assert api_client.get(TESTS).status_code == 403
    assert api_client.post(TESTS, {"title": "Mine"}, format="json").status_code == 403
    assert not models.Test.objects.exists()


def test_staff_outside_the_recruiters_group_is_refused(api_client):
    api_client.force_authenticate(factories.UserFactory(is_staff=True))

    assert api_client.get(TESTS).status_code == 403


# ------------------------------------------------------------------------------------ isolation


def test_a_recruiter_lists_only_their_own_tests(as_recruiter, own_draft):
    factories.TestFactory()  # another recruiter's

    response = as_recruiter.get(TESTS)

    assert response.status_code == 200
    assert [row["id"] for row in whole_list(response)] == [own_draft.pk]


def test_a_superuser_lists_every_test(api_client, own_draft):
    other = factories.TestFactory()
    api_client.force_authenticate(factories.UserFactory(is_superuser=True, is_staff=True))

    ids = {row["id"] for row in whole_list(api_client.get(TESTS))}

    assert ids == {own_draft.pk, other.pk}


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "publish/"),
        ("get", "questions/"),
        ("post", "questions/"),
        ("post", "candidates/"),
        ("get", "results/"),
    ],
)
def test_another_recruiters_test_is_not_found(as_recruiter, method, suffix):
    other = factories.TestFactory(status=models.Test.Status.DRAFT)

    response = getattr(as_recruiter, method)(detail(other.pk) + suffix, {"title": "Taken over"}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    other.refresh_from_db()
    assert other.title != "Taken over"
    assert other.status == models.Test.Status.DRAFT


def test_a_missing_test_is_404(as_recruiter):
    response = as_recruiter.get(detail(999_999))

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Test 999999 was not found."}
