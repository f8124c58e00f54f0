"""A candidate's own views: the tests they may take (/api/my/tests/) and their attempts (/api/my/assessments/)."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from assessments import models
from assessments.tests import factories
from assessments.tests.paging import whole_list

pytestmark = pytest.mark.django_db

MY_TESTS = "/api/my/tests/"
MY_ASSESSMENTS = "/api/my/assessments/"
Status = models.Assessment.Status


@pytest.fixture
def as_candidate(api_client, candidate):
    api_client.force_authenticate(candidate)
    return api_client


def shortlisted(candidate, **test_fields: Any) -> models.Test:
    test = factories.published_test_with_bank(**test_fields)
    factories.ApplicationFactory(test=test, candidate=candidate)
    return test


def my_row(client, test: models.Test) -> dict[str, object]:
    rows = {row["id"]: row for row in whole_list(client.get(MY_TESTS))}
    return rows[test.pk]


def finished(test: models.Test, candidate, attempt: int = 1, **fields: object) -> models.Assessment:
    return factories.AssessmentFactory(
        test=test, candidate=candidate, attempt_number=attempt, status=Status.COMPLETED, **fields
    )


# -------------------------------------------------------------------------------------- my tests


def test_an_open_shortlisted_test_is_available_with_its_details(as_candidate, candidate):
    test = shortlisted(candidate, title="Backend", time_limit_minutes=30, total_questions=3, max_attempts=2)

    response = as_candidate.get(MY_TESTS)

    assert response.status_code == 200
    [row] = whole_list(response)
    assert row["id"] == test.pk
    assert row["title"] == "Backend"
    assert row["description"] == test.description
    assert row["state"] == "available"
    assert row["window"] == "open"
    assert (row["time_limit_minutes"], row["time_limit_seconds"]) == (30, 1800)
    assert (row["total_questions"], row["max_attempts"]) == (3, 2)
    assert (row["attempts_used"], row["attempts_left"]) == (0, 2)
    assert row["in_progress_assessment_id"] is None
    assert row["opens_at"]
    assert row["closes_at"]


def test_the_time_limit_is_scaled_by_the_candidates_multiplier(as_candidate, candidate):
    test = factories.published_test_with_bank(time_limit_minutes=25)
    factories.ApplicationFactory(test=test, candidate=candidate, time_multiplier=1.5)

    row = my_row(as_candidate, test)

    assert (row["time_limit_minutes"], row["time_limit_seconds"], row["time_multiplier"]) == (37.5, 2250, 1.5)


def test_a_test_being_taken_is_in_progress_with_its_attempt_id(as_candidate, candidate):
    test = shortlisted(candidate, max_attempts=2)
    attempt = factories.AssessmentFactory(test=test, candidate=candidate, status=Status.IN_PROGRESS)

    row = my_row(as_candidate, test)

    assert row["state"] == "in_progress"
    assert row["in_progress_assessment_id"] == attempt.pk
    assert (row["attempts_used"], row["attempts_left"]) == (1, 1)


def test_a_test_with_attempts_left_stays_available(as_candidate, candidate):
    test = shortlisted(candidate, max_attempts=3)
    finished(test, candidate)

    row = my_row(as_candidate, test)

    assert row["state"] == "available"
    assert (row["attempts_used"], row["attempts_left"]) == (1, 2)


def test_a_test_with_no_attempts_left_is_completed(as_candidate, candidate):
    test = shortlisted(candidate, max_attempts=2)
    finished(test, candidate, attempt=1)
    finished(test, candidate, attempt=2)

    row = my_row(as_candidate, test)

    assert row["state"] == "completed"
    assert (row["attempts_used"], row["attempts_left"]) == (2, 0)


def test_a_completed_test_stays_completed_after_it_closes(as_candidate, candidate):
    test = shortlisted(candidate)
    finished(test, candidate)
    models.Test.objects.filter(pk=test.pk).update(closes_at=timezone.now() - timedelta(minutes=1))

    assert my_row(as_candidate, test)["state"] == "completed"


def test_a_test_that_has_not_opened_is_upcoming(as_candidate, candidate):
    test = shortlisted(candidate, opens_at=timezone.now() + timedelta(days=1))

    row = my_row(as_candidate, test)

    assert (row["state"], row["window"]) == ("upcoming", "upcoming")


def test_a_test_past_its_window_is_closed(as_candidate, candidate):
    test = shortlisted(
        candidate, opens_at=timezone.now() - timedelta(days=3), closes_at=timezone.now() - timedelta(days=1)
    )

    row = my_row(as_candidate, test)

    assert (row["state"], row["window"]) == ("closed", "closed")
    assert row["attempts_left"] == 1


def test_a_test_without_an_application_requirement_is_listed_for_everyone(as_candidate):
    test = factories.published_test_with_bank(requires_application=False)

    assert my_row(as_candidate, test)["state"] == "available"


def test_tests_the_candidate_may_not_take_are_not_listed(as_candidate, candidate):
    factories.published_test_with_bank()  # no application
    factories.ApplicationFactory(candidate=candidate, status=models.CandidateApplication.Status.REJECTED)
    factories.ApplicationFactory(candidate=candidate, status=models.CandidateApplication.Status.WITHDRAWN)
    factories.ApplicationFactory(candidate=candidate, test=factories.TestFactory(status=models.Test.Status.DRAFT))
    factories.ApplicationFactory(candidate=candidate, test=factories.TestFactory(status=models.Test.Status.ARCHIVED))
    factories.ApplicationFactory(test=factories.published_test_with_bank())  # someone else's
    invited = factories.ApplicationFactory(candidate=candidate, status=models.CandidateApplication.Status.INVITED)

    ids = [row["id"] for row in whole_list(as_candidate.get(MY_TESTS))]

    assert ids == [invited.test.pk]


def test_my_tests_needs_a_token(api_client, db):
    response = api_client.get(MY_TESTS)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# -------------------------------------------------------------------------------- my assessments


def test_my_assessments_lists_only_my_attempts_newest_first(as_candidate, candidate):
    test = shortlisted(candidate, max_attempts=2)
    now = timezone.now()
    first = finished(test, candidate, attempt=1, started_at=now - timedelta(hours=2), ended_at=now - timedelta(hours=1))
    second = factories.AssessmentFactory(test=test, candidate=candidate, attempt_number=2, started_at=now)
    factories.AssessmentFactory(test=test)  # someone else's

    response = as_candidate.get(MY_ASSESSMENTS)

    assert response.status_code == 200
    rows = whole_list(response)
    assert [r["id"] for r in rows] == [second.pk, first.pk]
    assert rows[1]["test"] == test.pk
    assert rows[1]["test_title"] == test.title
    assert rows[1]["attempt"] == 1
    assert rows[1]["status"] == "completed"
    assert {"started_at", "deadline_at", "ended_at"} <= set(rows[1])


def test_a_finished_attempt_shows_its_score_when_feedback_allows(as_candidate, candidate):
    test = shortlisted(candidate, feedback_mode=models.Test.FeedbackMode.CORRECTNESS)
    finished(test, candidate, score=2, max_score=3, percentage_score=66.67, passed=True)

    [row] = whole_list(as_candidate.get(MY_ASSESSMENTS))

    assert (row["score"], row["max_score"], row["percentage_score"], row["passed"]) == (2, 3, 66.67, True)
    assert row["pass_percentage"] == test.pass_percentage


def test_scores_are_hidden_when_the_test_gives_no_feedback(as_candidate, candidate):
    test = shortlisted(candidate, feedback_mode=models.Test.FeedbackMode.NONE)
    finished(test, candidate, score=2, max_score=3, percentage_score=66.67, passed=True)

    [row] = whole_list(as_candidate.get(MY_ASSESSMENTS))

    assert not {"score", "max_score", "percentage_score", "passed", "pass_percentage"} & set(row)


def test_an_attempt_in_progress_shows_no_score_yet(as_candidate, candidate):
    test = shortlisted(candidate, feedback_mode=models.Test.FeedbackMode.FULL)
    factories.AssessmentFactory(test=test, candidate=candidate, score=1)

    [row] = whole_list(as_candidate.get(MY_ASSESSMENTS))

    assert row["status"] == "in_progress"
    assert "score" not in row


def test_my_assessments_needs_a_token(api_client, db):
    assert api_client.get(MY_ASSESSMENTS).status_code == 401


@pytest.mark.parametrize(("mode", "sees_skills"), [("none", False), ("correctness", True), ("full", True)])
def test_candidates_see_their_per_skill_counts_as_the_mode_allows_but_never_theta(
    as_candidate, candidate, mode, sees_skills
):
    test = shortlisted(candidate, feedback_mode=mode)
    ability = {
        "overall": {"theta": 1.2, "se": 0.5, "asked": 2, "correct": 1},
        "skills": {"SQL": {"theta": 1.2, "se": 0.5, "asked": 2, "correct": 1}},
    }
    finished(test, candidate, ai_state={"ability": ability})
    (row,) = whole_list(as_candidate.get(MY_ASSESSMENTS))
    if sees_skills:
        assert row["skills"] == {"SQL": {"asked": 2, "correct": 1}}
    else:
        assert "skills" not in row
    assert "theta" not in str(row)
