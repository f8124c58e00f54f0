"""Decisions from a test's results: shortlist or reject candidates from the results list (through the
application service), and compare selected attempts side by side with the numbers the results API gives."""

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from assessments.models import Assessment, CandidateApplication, Test
from assessments.tests.admin_support import action, changelist
from assessments.tests.backoffice_factories import attempt_with_answers
from assessments.tests.factories import UserFactory, published_test_with_bank

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished(own_test: Test) -> dict[str, Assessment]:
    """Three finished attempts at 3 of 3, 2 of 3 and 1 of 3, with θ ± SE for two skills."""
    q1, q2, q3 = own_test.questions.all()[:3]
    attempts = {}
    for name, answers, theta in (
        ("ann", {q1: True, q2: True, q3: True}, 1.5),
        ("ben", {q1: True, q2: True, q3: False}, 0.4),
        ("cid", {q1: False, q2: False, q3: True}, -0.9),
    ):
        attempt = attempt_with_answers(test=own_test, answers=answers, candidate=UserFactory.create(username=name))
        attempt.ai_state = {
            "ability": {
                "overall": {"theta": theta, "se": 0.8, "asked": 3, "correct": attempt.score},
                "skills": {
                    "SQL": {"theta": theta + 0.25, "se": 1.1, "asked": 2, "correct": min(2, attempt.score)},
                    "Python": {"theta": theta - 0.5, "se": 1.4, "asked": 1, "correct": int(attempt.score == 3)},
                },
            }
        }
        attempt.save(update_fields=["ai_state"])
        attempts[name] = attempt
    return attempts


def results_page(client: Client, test: Test) -> str:
    return client.get(changelist("assessment"), {"test__id__exact": str(test.pk)}).content.decode()


def test_shortlist_and_reject_from_the_results_list(
    recruiter_client: tuple[Client, Any], own_test: Test, finished: dict[str, Assessment]
) -> None:
    client, _ = recruiter_client

    shortlisted = action(client, "assessment", "shortlist", [finished["ann"].pk, finished["ben"].pk])
    rejected = action(client, "assessment", "reject", [finished["cid"].pk])

    statuses = dict(CandidateApplication.objects.filter(test=own_test).values_list("candidate__username", "status"))
    assert statuses == {"ann": "shortlisted", "ben": "shortlisted", "cid": "rejected"}
    # The factory's applications start shortlisted (they could take the test): nothing changed for those two.
    assert "0 candidate(s) shortlisted; 2 already were." in shortlisted.content.decode()
    assert "1 candidate(s) rejected; 0 already were." in rejected.content.decode()
    page = results_page(client, own_test)
    assert page.count(">Rejected<") == 1
    assert page.count(">Shortlisted<") == 2


def test_a_rejected_candidate_can_be_shortlisted_again(
    recruiter_client: tuple[Client, Any], own_test: Test, finished: dict[str, Assessment]
) -> None:
    client, _ = recruiter_client
    action(client, "assessment", "reject", [finished["ben"].pk])

    response = action(client, "assessment", "shortlist", [finished["ben"].pk])

    assert finished["ben"].application is not None
    finished["ben"].application.refresh_from_db()
    assert finished["ben"].application.status == "shortlisted"
    assert "1 candidate(s) shortlisted" in response.content.decode()


def test_without_the_right_to_change_applications_there_is_no_decision_action(
    client: Client, own_test: Test, finished: dict[str, Assessment]
) -> None:
    viewer = UserFactory.create(is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_assessment", "view_test"]))
    Test.objects.filter(pk=own_test.pk).update(created_by=viewer)
    client.force_login(viewer)

    page = results_page(client, own_test)
    refused = action(client, "assessment", "reject", [finished["ann"].pk])

    assert 'value="compare"' in page
    assert 'value="reject"' not in page
    assert 'value="shortlist"' not in page
    assert refused.status_code == 200
    assert CandidateApplication.objects.get(test=own_test, candidate__username="ann").status == "shortlisted"


def test_the_comparison_shows_what_the_results_api_says(
    recruiter_client: tuple[Client, Any], own_test: Test, finished: dict[str, Assessment]
) -> None:
    client, recruiter = recruiter_client
    chosen = [finished["cid"].pk, finished["ann"].pk]

    redirect = client.post(
        changelist("assessment"), {"action": "compare", "_selected_action": [str(pk) for pk in chosen]}
    )
    page = client.get(redirect["Location"])

    assert redirect.status_code == 302
    assert redirect["Location"].startswith(reverse("admin:assessments_test_compare", args=[own_test.pk]))
    rows = page.context["rows"]
    api = APIClient()
    api.force_authenticate(recruiter)
    by_id = {row["id"]: row for row in api.get(f"/api/tests/{own_test.pk}/results/").json()["results"]}
    assert [row.assessment_id for row, _cells in rows] == [finished["ann"].pk, finished["cid"].pk]  # best first
    for row, cells in rows:
        expected = by_id[row.assessment_id]
        assert (row.score, row.max_score, row.percentage_score, row.passed, row.percentile) == (
            expected["score"],
            expected["max_score"],
            expected["percentage_score"],
            expected["passed"],
            expected["percentile"],
        )
        assert (row.theta, row.se) == (expected["ability"]["overall"]["theta"], expected["ability"]["overall"]["se"])
        for skill, ability in cells:
            api_skill = expected["ability"]["skills"][skill]
            assert (ability.theta, ability.se, ability.asked, ability.correct) == (
                api_skill["theta"],
                api_skill["se"],
                api_skill["asked"],
                api_skill["correct"],
            )
    html = page.content.decode()
    assert [row.percentile for row, _ in rows] == [100.0, 0.0]  # ann beat both others, cid neither
    assert "1.50 ± 0.80" in html
    assert "1.75 ± 1.10" in html  # ann's SQL
    assert "-0.90 ± 0.80" in html
    assert "Pass mark: 60%" in html


def test_comparing_attempts_of_two_tests_is_refused(
    recruiter_client: tuple[Client, Any], own_test: Test, finished: dict[str, Assessment]
) -> None:
    client, recruiter = recruiter_client

    other = published_test_with_bank(created_by=recruiter, questions=3, total_questions=3)
    elsewhere = attempt_with_answers(test=other, answers={other.questions.all()[0]: True})

    response = action(client, "assessment", "compare", [finished["ann"].pk, elsewhere.pk])

    assert "Select attempts of one test to compare (filter by test)." in response.content.decode()
