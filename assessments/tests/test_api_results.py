"""GET /api/tests/{id}/results/: one row per attempt, as JSON or (?format=csv) CSV."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from assessments import models
from assessments.tests import factories
from assessments.tests.paging import whole_list

pytestmark = pytest.mark.django_db

HEADER = [
    "id",
    "candidate",
    "attempt",
    "status",
    "score",
    "max_score",
    "percentage_score",
    "passed",
    "percentile",
    "rapid_guesses",
    "person_fit",
    "started_at",
    "ended_at",
]


def results_url(test: models.Test, suffix: str = "") -> str:
    return f"/api/tests/{test.pk}/results/{suffix}"


@pytest.fixture
def attempted_test(recruiter) -> models.Test:
    test = factories.published_test_with_bank(created_by=recruiter, max_attempts=2, total_questions=4)
    start = timezone.now() - timedelta(hours=2)
    ann = factories.UserFactory(username="ann")
    ben = factories.UserFactory(username="-ben")  # a username a spreadsheet would read as a formula
    factories.AssessmentFactory(
        test=test,
        candidate=ann,
        attempt_number=1,
        status=models.Assessment.Status.COMPLETED,
        started_at=start,
        ended_at=start + timedelta(minutes=20),
        score=3,
        max_score=4,
        percentage_score=75.0,
        passed=True,
    )
    factories.AssessmentFactory(
        test=test,
        candidate=ann,
        attempt_number=2,
        status=models.Assessment.Status.IN_PROGRESS,
        started_at=start + timedelta(hours=1),
        deadline_at=timezone.now() + timedelta(minutes=10),  # still running
    )
    factories.AssessmentFactory(
        test=test,
        candidate=ben,
        attempt_number=1,
        status=models.Assessment.Status.TIMED_OUT,
        started_at=start + timedelta(minutes=5),
        ended_at=start + timedelta(minutes=35),
        score=1,
        max_score=4,
        percentage_score=25.0,
        passed=False,
    )
    factories.AssessmentFactory()  # another test's attempt
    return test


@pytest.fixture
def as_recruiter(api_client, recruiter):
    api_client.force_authenticate(recruiter)
    return api_client


def test_results_list_one_row_per_attempt_oldest_first(as_recruiter, attempted_test):
    response = as_recruiter.get(results_url(attempted_test))

    assert response.status_code == 200
    rows = whole_list(response)
    assert [(r["candidate"], r["attempt"], r["status"]) for r in rows] == [
        ("ann", 1, "completed"),
        ("-ben", 1, "timed_out"),
        ("ann", 2, "in_progress"),
    ]
    assert list(rows[0]) == [*HEADER, "ability"]
    assert (rows[0]["score"], rows[0]["max_score"], rows[0]["percentage_score"], rows[0]["passed"]) == (
        3,
        4,
        75.0,
        True,
    )
    assert rows[2]["ended_at"] is None
    # Of the other finished attempt (ben's 25%), ann's 75% beat all; ben beat none; a running one has none.
    assert [r["percentile"] for r in rows] == [100.0, 0.0, None]
    assert [(r["rapid_guesses"], r["person_fit"]) for r in rows] == [(0, None)] * 3  # no answers to judge


def test_results_as_csv_have_a_header_and_the_same_rows(as_recruiter, attempted_test):
    as_json = whole_list(as_recruiter.get(results_url(attempted_test)))

    response = as_recruiter.get(results_url(attempted_test, "?format=csv"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="test-{attempted_test.pk}-results.csv"' in response["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0] == HEADER
    assert len(table) == 1 + len(as_json)
    first = dict(zip(HEADER, table[1], strict=True))
    assert first["id"] == str(as_json[0]["id"])
    assert (first["candidate"], first["attempt"], first["status"]) == ("ann", "1", "completed")
    assert (first["score"], first["max_score"], first["percentage_score"], first["passed"]) == (
        "3",
        "4",
        "75.0",
        "true",
    )
    assert first["started_at"] == as_json[0]["started_at"]
    in_progress = dict(zip(HEADER, table[3], strict=True))
    assert (in_progress["passed"], in_progress["ended_at"]) == ("", "")


def test_csv_cells_that_look_like_formulas_are_neutralised(as_recruiter, attempted_test):
    table = list(csv.reader(io.StringIO(as_recruiter.get(results_url(attempted_test, "?format=csv")).content.decode())))

    assert table[2][1] == "'-ben"


def test_results_of_an_unattempted_test_as_csv_are_just_the_header(as_recruiter, recruiter):
    test = factories.published_test_with_bank(created_by=recruiter)

    response = as_recruiter.get(results_url(test, "?format=csv"))

    assert response.content.decode() == ",".join(HEADER) + "\r\n"


def test_csv_is_also_given_for_accept_text_csv(as_recruiter, attempted_test):
    response = as_recruiter.get(results_url(attempted_test), HTTP_ACCEPT="text/csv")

    assert response["Content-Type"].startswith("text/csv")


def test_results_need_a_token_and_errors_stay_json_when_csv_was_asked(api_client, attempted_test):
    response = api_client.get(results_url(attempted_test, "?format=csv"))

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_authenticated"


def test_candidates_may_not_see_results(api_client, attempted_test):
    api_client.force_authenticate(models.Assessment.objects.filter(test=attempted_test)[0].candidate)

    response = api_client.get(results_url(attempted_test, "?format=csv"))

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_another_recruiters_results_are_not_found(api_client, attempted_test):
    api_client.force_authenticate(factories.RecruiterFactory())

    response = api_client.get(results_url(attempted_test, "?format=csv"))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_unknown_format_is_404(as_recruiter, attempted_test):
    response = as_recruiter.get(results_url(attempted_test, "?format=xlsx"))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_recruiters_see_theta_and_se_per_skill(as_recruiter, attempted_test):
    ability = {"overall": {"theta": 0.8, "se": 0.6, "asked": 4, "correct": 3}, "skills": {"SQL": {"theta": 0.5}}}
    models.Assessment.objects.filter(test=attempted_test, attempt_number=1, candidate__username="ann").update(
        ai_state={"ability": ability}
    )
    rows = whole_list(as_recruiter.get(results_url(attempted_test)))
    assert rows[0]["ability"] == ability
    assert rows[1]["ability"] is None
    csv_header = as_recruiter.get(results_url(attempted_test), {"format": "csv"}).content.decode().splitlines()[0]
    assert "ability" not in csv_header
