"""Candidates in the admin: invitations (one, a pasted list, an uploaded CSV; bad lists invite nobody),
shortlisting and rejecting, and an accommodation that moves a running attempt at once."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment, CandidateApplication, Test
from assessments.services.candidates import MAX_INVITES
from assessments.tests.admin_support import action
from assessments.tests.backoffice_factories import attempt_with_answers, first_question
from assessments.tests.factories import ApplicationFactory, RecruiterFactory, UserFactory, published_test_with_bank

pytestmark = pytest.mark.django_db
User = get_user_model()


def invite_url(test: Test) -> str:
    return reverse("admin:assessments_test_invite", args=[test.pk])


def test_invite_one_new_candidate_without_email_shows_the_password_once(
    recruiter_client: tuple[Client, Any], own_test: Test
) -> None:
    client, _ = recruiter_client
    assert client.get(invite_url(own_test)).status_code == 200

    page = client.post(invite_url(own_test), {"candidates": "dana"}).content.decode()

    dana = User._default_manager.get(username="dana")
    application = CandidateApplication.objects.get(test=own_test, candidate=dana)
    assert application.status == CandidateApplication.Status.INVITED
    assert not dana.is_staff
    line = next(line for line in page.splitlines() if line.startswith("dana,,"))
    assert dana.check_password(line.rsplit(",", 1)[1])
    again = client.get(invite_url(own_test)).content.decode()
    assert line not in again


def test_invite_many_from_a_pasted_list(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    client, _ = recruiter_client
    existing = UserFactory.create(username="erin", email="erin@old.example")
    rejected = ApplicationFactory.create(
        test=own_test, candidate=UserFactory.create(username="finn"), status=CandidateApplication.Status.REJECTED
    )
    RecruiterFactory.create(username="rita")
    pasted = (
        "username,email\nann ann@example.com\nben;ben@example.com\n\n# a comment\nerin,erin@new.example\nfinn\nrita\n"
    )

    page = client.post(invite_url(own_test), {"candidates": pasted}).content.decode()

    assert set(
        CandidateApplication.objects.filter(test=own_test, status="invited").values_list(
            "candidate__username", flat=True
        )
    ) == {"ann", "ben", "erin"}
    existing.refresh_from_db()
    assert existing.email == "erin@old.example"  # an existing account is never changed
    rejected.refresh_from_db()
    assert rejected.status == CandidateApplication.Status.REJECTED  # nor an existing application
    assert not CandidateApplication.objects.filter(candidate__username="rita").exists()
    assert "New accounts, signing in by the emailed link (2)" in page
    assert "Existing accounts invited (1)" in page
    assert "finn: Rejected" in page
    assert "rita: a staff account cannot be a candidate" in page


def test_invite_from_an_uploaded_csv(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    client, _ = recruiter_client
    upload = SimpleUploadedFile(
        "candidates.csv", "\ufeffusername,email\r\ngita,gita@example.com\r\nhari,\r\n".encode(), content_type="text/csv"
    )

    response = client.post(invite_url(own_test), {"candidates": "", "csv_file": upload})

    assert response.status_code == 200
    assert set(CandidateApplication.objects.filter(test=own_test).values_list("candidate__username", flat=True)) >= {
        "gita",
        "hari",
    }
    assert User._default_manager.get(username="hari").email == ""


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("ok1\nbad!name,x@example.com", "line 2: invalid username"),
        ("ok1,not-an-email", "line 1: invalid email address"),
        ("ok1\nok1", "line 2: &#x27;ok1&#x27; is listed twice (also on line 1)"),
        ("a,b@example.com,extra", "expected username,email but found 3 values"),
        ("", "Paste a list of candidates or choose a CSV file."),
        ("\n".join(f"user{i}" for i in range(MAX_INVITES + 1)), f"at most {MAX_INVITES} candidates at a time"),
    ],
)
def test_invite_refuses_a_bad_list_and_invites_nobody(
    recruiter_client: tuple[Client, Any], own_test: Test, text: str, error: str
) -> None:
    client, _ = recruiter_client
    before = User._default_manager.count()

    page = client.post(invite_url(own_test), {"candidates": text}).content.decode()

    assert error in page
    assert User._default_manager.count() == before
    assert not CandidateApplication.objects.filter(test=own_test).exists()


def test_invite_refuses_a_file_that_is_not_utf8(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    client, _ = recruiter_client
    upload = SimpleUploadedFile("c.csv", b"\xff\xfe\x00bad", content_type="text/csv")
    page = client.post(invite_url(own_test), {"csv_file": upload}).content.decode()
    assert "The file is not UTF-8 text." in page


def test_shortlist_and_reject(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    client, _ = recruiter_client
    first, second = (ApplicationFactory.create(test=own_test, status="invited") for _ in range(2))

    action(client, "candidateapplication", "shortlist", [first.pk])
    action(client, "candidateapplication", "reject", [second.pk])

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == CandidateApplication.Status.SHORTLISTED
    assert second.status == CandidateApplication.Status.REJECTED


def test_accommodation_moves_a_running_attempt_at_once(
    recruiter_client: tuple[Client, Any],
    own_test: Test,
    group_sends: list[tuple[str, dict[str, Any]]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client, _ = recruiter_client
    running = attempt_with_answers(
        test=own_test, answers={first_question(own_test): None}, status=Assessment.Status.IN_PROGRESS
    )
    application = running.application
    assert application is not None
    url = reverse("admin:assessments_candidateapplication_change", args=[application.pk])
    data = {
        "candidate": running.candidate.username,
        "test": own_test.pk,
        "status": application.status,
        "time_multiplier": "1.5",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)

    assert response.status_code == 302
    application.refresh_from_db()
    running.refresh_from_db()
    assert application.time_multiplier == 1.5
    assert running.deadline_at == running.started_at + timedelta(minutes=own_test.time_limit_minutes * 1.5)
    assert running.events.filter(type="time_extended").count() == 1
    ((group, event),) = group_sends
    assert group == f"user_{running.candidate_id}"
    assert event["message"]["type"] == "time_extended"


def test_changing_other_fields_leaves_the_running_attempt_alone(
    admin_client: Client, group_sends: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    test = published_test_with_bank()
    running = attempt_with_answers(
        test=test, answers={first_question(test): None}, status=Assessment.Status.IN_PROGRESS
    )
    application = running.application
    assert application is not None
    data = {"candidate": running.candidate.username, "test": test.pk, "status": "invited", "time_multiplier": "1.0"}

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:assessments_candidateapplication_change", args=[application.pk]), data)

    application.refresh_from_db()
    assert application.status == "invited"
    assert group_sends == []
    assert not running.events.filter(type="time_extended").exists()
