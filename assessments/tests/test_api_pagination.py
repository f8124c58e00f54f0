"""Every JSON list of the API comes a page at a time, the same way: `?page=` and `?page_size=` (capped),
answered as {count, next, previous, results}. CSV downloads are never paged: an export has every row."""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import pytest
from django.conf import settings
from django.utils import timezone

from assessments import models
from assessments.api.pagination import MAX_PAGE_SIZE
from assessments.tests import factories

pytestmark = pytest.mark.django_db

PAGE_SIZE = cast(int, settings.REST_FRAMEWORK["PAGE_SIZE"])


@dataclass(frozen=True)
class Listing:
    user: Any
    url: str
    ids: list[int]  # every row's id, in the endpoint's order


def recruiters_tests_listing() -> Listing:
    recruiter = factories.RecruiterFactory()
    created = [factories.TestFactory(created_by=recruiter) for _ in range(3)]
    factories.TestFactory()  # another recruiter's
    return Listing(recruiter, "/api/tests/", [t.pk for t in reversed(created)])  # newest first


def questions_listing() -> Listing:
    test = factories.published_test_with_bank(questions=3)
    return Listing(
        test.created_by, f"/api/tests/{test.pk}/questions/", sorted(test.questions.values_list("pk", flat=True))
    )


def results_listing() -> Listing:
    test = factories.published_test_with_bank()
    start = timezone.now() - timedelta(hours=1)
    attempts = [factories.AssessmentFactory(test=test, started_at=start + timedelta(minutes=i)) for i in range(3)]
    return Listing(test.created_by, f"/api/tests/{test.pk}/results/", [a.pk for a in attempts])  # oldest first


def my_tests_listing() -> Listing:
    candidate = factories.UserFactory()
    now = timezone.now()
    tests = [factories.published_test_with_bank(opens_at=now - timedelta(days=3 - i)) for i in range(3)]
    for test in tests:
        factories.ApplicationFactory(test=test, candidate=candidate)
    return Listing(candidate, "/api/my/tests/", [t.pk for t in tests])  # soonest opened first


def my_assessments_listing() -> Listing:
    candidate = factories.UserFactory()
    start = timezone.now() - timedelta(hours=1)
    attempts = [
        factories.AssessmentFactory(candidate=candidate, started_at=start + timedelta(minutes=i)) for i in range(3)
    ]
    return Listing(candidate, "/api/my/assessments/", [a.pk for a in reversed(attempts)])  # newest first


LISTINGS: list[Callable[[], Listing]] = [
    recruiters_tests_listing,
    questions_listing,
    results_listing,
    my_tests_listing,
    my_assessments_listing,
]


@pytest.mark.parametrize("make", LISTINGS, ids=lambda make: make.__name__)
def test_a_list_is_paged_and_its_links_walk_every_row_once(api_client, make):
    listing = make()
    api_client.force_authenticate(listing.user)

    first = api_client.get(listing.url, {"page_size": 2})

    assert first.status_code == 200, first.content
    body = first.json()
    assert list(body) == ["count", "next", "previous", "results"]
    assert body["count"] == 3
    assert [row["id"] for row in body["results"]] == listing.ids[:2]
    assert body["previous"] is None
    assert body["next"].startswith(f"http://testserver{listing.url}?")
    assert "page=2" in body["next"]
    assert "page_size=2" in body["next"]

    second = api_client.get(body["next"]).json()

    assert second["count"] == 3
    assert [row["id"] for row in second["results"]] == listing.ids[2:]
    assert second["next"] is None
    assert second["previous"] is not None
    assert [row["id"] for row in api_client.get(second["previous"]).json()["results"]] == listing.ids[:2]


@pytest.fixture
def big_bank() -> models.Test:
    test = factories.published_test_with_bank(questions=0, skills=1)
    factories.QuestionFactory.create_batch(MAX_PAGE_SIZE + 1, skill=test.skills.get(), test=test)
    return test


def test_a_page_has_page_size_rows_by_default_and_never_more_than_the_maximum(api_client, big_bank):
    api_client.force_authenticate(big_bank.created_by)
    url = f"/api/tests/{big_bank.pk}/questions/"

    default = api_client.get(url).json()
    capped = api_client.get(url, {"page_size": 10_000}).json()
    last = api_client.get(url, {"page_size": MAX_PAGE_SIZE, "page": 2}).json()

    assert default["count"] == capped["count"] == MAX_PAGE_SIZE + 1
    assert len(default["results"]) == PAGE_SIZE
    assert len(capped["results"]) == MAX_PAGE_SIZE
    assert len(last["results"]) == 1
    assert last["next"] is None


@pytest.mark.parametrize("page", ["3", "0", "not-a-number"])
def test_a_page_that_does_not_exist_is_404_not_found(api_client, page):
    listing = my_assessments_listing()
    api_client.force_authenticate(listing.user)

    response = api_client.get(listing.url, {"page_size": 2, "page": page})

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Invalid page."}


def test_an_empty_list_is_one_empty_page(api_client, candidate):
    api_client.force_authenticate(candidate)

    assert api_client.get("/api/my/assessments/").json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_the_results_csv_has_every_row_whatever_the_paging_parameters(api_client):
    test = factories.published_test_with_bank()
    factories.AssessmentFactory.create_batch(PAGE_SIZE + 1, test=test)
    api_client.force_authenticate(test.created_by)
    url = f"/api/tests/{test.pk}/results/"

    plain = api_client.get(url, {"format": "csv"})
    paged = api_client.get(url, {"format": "csv", "page": 2, "page_size": 1})
    by_accept = api_client.get(url, HTTP_ACCEPT="text/csv")

    for response in (plain, paged, by_accept):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        table = list(csv.reader(io.StringIO(response.content.decode())))
        assert len(table) == 1 + PAGE_SIZE + 1  # the header and every attempt
    assert api_client.get(url).json()["count"] == PAGE_SIZE + 1  # while JSON is paged


def test_behind_a_tls_proxy_the_next_link_says_https(api_client, big_bank, settings):
    """BEHIND_TLS_PROXY=1 trusts nginx's X-Forwarded-Proto (see test_settings for the flag itself)."""
    api_client.force_authenticate(big_bank.created_by)
    url = f"/api/tests/{big_bank.pk}/questions/"
    assert api_client.get(url, HTTP_X_FORWARDED_PROTO="https").json()["next"].startswith("http://")
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert api_client.get(url, HTTP_X_FORWARDED_PROTO="https").json()["next"].startswith("https://")
