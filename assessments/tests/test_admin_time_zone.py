"""Admin pages show times in the recruiter's time zone (the `jatayu_tz` cookie their browser keeps) and
say which; an unknown zone falls back to the server's."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment, Test
from assessments.tests.admin_support import changelist
from assessments.tests.backoffice_factories import attempt_with_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(own_test: Test) -> Assessment:
    started = attempt_with_answers(test=own_test, answers={own_test.questions.all()[0]: True})
    Assessment.objects.filter(pk=started.pk).update(started_at=datetime(2026, 3, 2, 9, 15, tzinfo=UTC))
    return started


def pages(client: Client, test: Test, attempt: Assessment) -> tuple[str, str]:
    results = client.get(changelist("assessment"), {"test__id__exact": str(test.pk)}).content.decode()
    report = client.get(reverse("admin:assessments_assessment_report", args=[attempt.pk])).content.decode()
    return results, report


def test_times_are_in_the_zone_the_browser_reports(
    recruiter_client: tuple[Client, Any], own_test: Test, attempt: Assessment
) -> None:
    client, _ = recruiter_client
    client.cookies["jatayu_tz"] = "Asia%2FKolkata"  # as the page's script writes it

    results, report = pages(client, own_test, attempt)

    assert "Times in Asia/Kolkata" in results
    assert "2 Mar, 14:45" in results  # 09:15 UTC is 14:45 in India
    assert "2026-03-02 14:45:00" in report
    assert '<meta name="jatayu-time-zone" content="Asia/Kolkata">' in report


@pytest.mark.parametrize("cookie", ["Mars/Olympus_Mons", "../../etc/passwd", ""])
def test_an_unknown_zone_leaves_the_servers(
    recruiter_client: tuple[Client, Any], own_test: Test, attempt: Assessment, cookie: str
) -> None:
    client, _ = recruiter_client
    client.cookies["jatayu_tz"] = cookie

    results, report = pages(client, own_test, attempt)

    assert "Times in UTC" in results
    assert "2 Mar, 09:15" in results
    assert "2026-03-02 09:15:00" in report
