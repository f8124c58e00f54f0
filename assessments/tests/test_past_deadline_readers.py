"""An attempt left past its deadline reads as ended everywhere, before any expiry worker has run:
on the candidate's own lists, in the results (admin and API) and on the monitor; it ends at its
deadline, not when it was first looked at."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment
from assessments.tests import factories
from assessments.tests.paging import whole_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def abandoned() -> Assessment:
    """Started 10 minutes ago on a 4-minute test, never finished, no worker has looked at it."""
    test = factories.published_test_with_bank(time_limit_minutes=4)
    started = timezone.now() - timedelta(minutes=10)
    return factories.AssessmentFactory(test=test, started_at=started, deadline_at=started + timedelta(minutes=4))


def assert_ended_at_its_deadline(assessment: Assessment) -> None:
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.TIMED_OUT
    assert assessment.ended_at == assessment.deadline_at


def test_the_candidates_own_attempts_show_it_timed_out(api_client, abandoned: Assessment):
    api_client.force_authenticate(abandoned.candidate)
    (row,) = whole_list(api_client.get("/api/my/assessments/"))
    assert row["status"] == "timed_out"
    assert_ended_at_its_deadline(abandoned)


def test_the_candidates_test_list_offers_no_resume(api_client, abandoned: Assessment):
    factories.ApplicationFactory(test=abandoned.test, candidate=abandoned.candidate)
    api_client.force_authenticate(abandoned.candidate)
    rows = {row["id"]: row for row in whole_list(api_client.get("/api/my/tests/"))}
    assert rows[abandoned.test_id]["state"] != "in_progress"
    assert_ended_at_its_deadline(abandoned)


def test_the_results_api_lists_it_with_the_time_taken_to_its_deadline(api_client, abandoned: Assessment):
    api_client.force_authenticate(factories.RecruiterFactory(is_superuser=True))
    rows = whole_list(api_client.get(f"/api/tests/{abandoned.test_id}/results/"))
    assert [r["status"] for r in rows] == ["timed_out"]
    assert_ended_at_its_deadline(abandoned)


def test_the_admin_results_and_monitor_show_it_ended(admin_client: Client, abandoned: Assessment):
    monitor = admin_client.get(reverse("admin:assessments_test_monitor_data", args=[abandoned.test_id])).json()
    assert monitor["rows"] == []
    results = admin_client.get(
        reverse("admin:assessments_assessment_changelist") + f"?test__id__exact={abandoned.test_id}"
    )
    assert results.status_code == 200
    assert "Timed out" in results.content.decode()
    assert_ended_at_its_deadline(abandoned)
