"""Invitations that reach the candidate: an email (Django's email framework) with a one-time sign-in
link that works once and expires; reminders before a deadline, once each; and a candidate's own
deadline to start, which closes the test for them alone."""

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from assessments.models import CandidateApplication, SignInLink, Test
from assessments.tests.backoffice_factories import attempt_with_answers
from assessments.tests.factories import ApplicationFactory, UserFactory, published_test_with_bank
from assessments.tests.paging import whole_list

pytestmark = pytest.mark.django_db
User = get_user_model()
LINK = re.compile(r"(http://testserver/welcome/)#([A-Za-z0-9_\-]+)")


def invite(client: Client, test: Test, candidates: str) -> str:
    return client.post(
        reverse("admin:assessments_test_invite", args=[test.pk]), {"candidates": candidates}
    ).content.decode()


def redeem(secret: str) -> Any:
    return APIClient().post("/api/auth/link/", {"secret": secret}, format="json")


def secret_in(message: mail.EmailMessage) -> str:
    found = LINK.search(str(message.body))
    assert found is not None, message.body
    return found.group(2)


def test_an_invitation_email_signs_the_candidate_in_once(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    client, _ = recruiter_client

    page = invite(client, own_test, "dana,dana@example.com")

    assert "Emailed an invitation (1)" in page
    [message] = mail.outbox
    assert message.to == ["dana@example.com"]
    assert own_test.title in message.subject
    assert f"{own_test.total_questions} questions" in message.body
    dana = User._default_manager.get(username="dana")
    assert not dana.has_usable_password()  # no password to copy out of a textarea
    assert "dana,dana@example.com," not in page
    secret = secret_in(message)
    assert SignInLink.objects.get(user=dana).secret_hash != secret  # only a hash is stored

    first = redeem(secret)
    second = redeem(secret)

    assert first.status_code == 200
    assert first.json()["test"] == own_test.pk
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {first.json()['access']}")
    assert api.get("/api/me/").json()["username"] == "dana"
    assert (second.status_code, second.json()["code"]) == (400, "link_used")


def test_a_link_expires(recruiter_client: tuple[Client, Any], own_test: Test, settings: Any) -> None:
    settings.JATAYU_SIGN_IN_LINK_HOURS = 2
    client, _ = recruiter_client
    invite(client, own_test, "dana,dana@example.com")
    link = SignInLink.objects.get()
    assert link.expires_at - link.created_at == timedelta(hours=2)
    SignInLink.objects.update(
        created_at=timezone.now() - timedelta(hours=3), expires_at=timezone.now() - timedelta(hours=1)
    )

    response = redeem(secret_in(mail.outbox[0]))

    assert (response.status_code, response.json()["code"]) == (400, "link_expired")
    assert SignInLink.objects.get().used_at is None


def test_an_unknown_link_and_a_deactivated_candidate_are_refused(
    recruiter_client: tuple[Client, Any], own_test: Test
) -> None:
    client, _ = recruiter_client
    invite(client, own_test, "dana,dana@example.com")
    User._default_manager.filter(username="dana").update(is_active=False)

    assert redeem("not-a-secret").json()["code"] == "link_invalid"
    assert redeem(secret_in(mail.outbox[0])).json()["code"] == "link_invalid"


def test_inviting_again_emails_a_new_link_and_the_old_one_still_works_once(
    recruiter_client: tuple[Client, Any], own_test: Test
) -> None:
    client, _ = recruiter_client
    invite(client, own_test, "dana,dana@example.com")
    invite(client, own_test, "dana,dana@example.com")

    first, second = (secret_in(message) for message in mail.outbox)

    assert first != second
    assert redeem(second).status_code == 200
    assert redeem(first).status_code == 200
    assert SignInLink.objects.filter(used_at__isnull=True).count() == 0


def test_a_rejected_candidate_is_not_emailed(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    client, _ = recruiter_client
    ApplicationFactory.create(
        test=own_test, candidate=UserFactory.create(username="finn", email="finn@example.com"), status="rejected"
    )

    page = invite(client, own_test, "finn,finn@example.com")

    assert "finn: Rejected" in page
    assert mail.outbox == []


def test_the_welcome_page_is_served_without_a_referrer(client: Client) -> None:
    response = client.get("/welcome/")

    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    assert 'data-page="welcome"' in response.content.decode()


# ---------------------------------------------------------------- reminders


def application_due_in(test: Test, hours: float, **candidate: Any) -> CandidateApplication:
    return ApplicationFactory.create(
        test=test,
        candidate=UserFactory.create(**candidate),
        status="invited",
        closes_at=timezone.now() + timedelta(hours=hours),
    )


def test_reminders_go_once_to_who_has_not_started_before_a_near_deadline() -> None:
    test = published_test_with_bank(questions=3, total_questions=2)
    soon = application_due_in(test, 5, username="soon", email="soon@example.com")
    application_due_in(test, 50, username="later", email="later@example.com")
    application_due_in(test, 5, username="nomail", email="")
    started = application_due_in(test, 5, username="started", email="started@example.com")
    attempt_with_answers(test=test, answers={test.questions.all()[0]: True}, candidate=started.candidate)

    call_command("send_reminders", "--within-hours", "24", stdout=(out := io.StringIO()))
    call_command("send_reminders", "--within-hours", "24", stdout=(again := io.StringIO()))

    assert [m.to for m in mail.outbox] == [["soon@example.com"]]
    assert mail.outbox[0].subject == f"Reminder: {test.title}"
    assert "/welcome/#" in mail.outbox[0].body
    assert "1 reminder(s) sent, 0 failed" in out.getvalue()
    assert "0 reminder(s) sent" in again.getvalue()
    soon.refresh_from_db()
    assert soon.reminded_at is not None


def test_the_tests_own_close_counts_too_and_a_dry_run_sends_nothing() -> None:
    test = published_test_with_bank(questions=3, total_questions=2)
    Test.objects.filter(pk=test.pk).update(closes_at=timezone.now() + timedelta(hours=3))
    ApplicationFactory.create(test=test, candidate=UserFactory.create(username="ola", email="ola@example.com"))

    call_command("send_reminders", "--dry-run", stdout=(out := io.StringIO()))

    assert f"would remind ola about test {test.pk}" in out.getvalue()
    assert mail.outbox == []
    assert not CandidateApplication.objects.filter(reminded_at__isnull=False).exists()


# ---------------------------------------------------------------- a candidate's own deadline


def test_a_candidates_own_deadline_closes_the_test_for_them_alone(api_client: APIClient) -> None:
    test = published_test_with_bank(questions=3, total_questions=2)
    late = ApplicationFactory.create(test=test, status="invited", closes_at=timezone.now() - timedelta(minutes=1))
    other = ApplicationFactory.create(test=test, status="invited")

    api_client.force_authenticate(late.candidate)
    [mine] = whole_list(api_client.get("/api/my/tests/"))
    api_client.force_authenticate(other.candidate)
    [theirs] = whole_list(api_client.get("/api/my/tests/"))

    assert (mine["state"], mine["window"]) == ("closed", "closed")
    assert mine["closes_at"] is not None
    assert (theirs["state"], theirs["window"]) == ("available", "open")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_redemptions_of_one_link_at_the_same_moment_sign_in_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from django.db import connection

    from assessments.services import invitations

    test = published_test_with_bank(questions=3, total_questions=2)
    secret = invitations.sign_in_link_create(user=UserFactory.create(), test=test)
    both_read = threading.Barrier(2, timeout=10)

    def now_once_both_have_read() -> Any:
        both_read.wait()  # each has found the link unused before either claims it
        return timezone.now()

    monkeypatch.setattr(invitations.clock, "now", now_once_both_have_read)
    outcomes: list[str] = []

    def redeem_in_thread() -> None:
        try:
            invitations.sign_in_link_redeem(secret=secret)
            outcomes.append("signed in")
        except invitations.ApplicationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem_in_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(outcomes) == ["link_used", "signed in"]


def test_a_production_server_without_email_sends_nothing_and_says_so(
    recruiter_client: tuple[Client, Any], own_test: Test, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "assessments.mail.EmailNotConfiguredBackend"
    client, _ = recruiter_client

    page = invite(client, own_test, "dana,dana@example.com")

    assert "Emails that failed (1)" in page
    assert "email is not set up on this server (EMAIL_HOST)" in page
    assert CandidateApplication.objects.filter(test=own_test, candidate__username="dana").exists()


def test_production_settings_print_no_email_unless_told_to() -> None:
    from assessments.tests.test_settings_documented import settings_started_with

    production = settings_started_with("EMAIL_BACKEND", DEBUG="0", EMAIL_HOST="", CHANNEL_LAYER="memory")
    told = settings_started_with(
        "EMAIL_BACKEND", DEBUG="0", EMAIL_HOST="", CHANNEL_LAYER="memory", JATAYU_EMAIL_TO_CONSOLE="1"
    )
    smtp = settings_started_with("EMAIL_BACKEND", DEBUG="0", EMAIL_HOST="smtp.example.com", CHANNEL_LAYER="memory")

    assert production.stdout.strip() == "assessments.mail.EmailNotConfiguredBackend"
    assert told.stdout.strip() == "django.core.mail.backends.console.EmailBackend"
    assert smtp.stdout.strip() == "django.core.mail.backends.smtp.EmailBackend"


def test_a_new_deadline_earns_a_new_reminder() -> None:
    from assessments.services.candidates import application_save

    test = published_test_with_bank(questions=3, total_questions=2)
    application = application_due_in(test, 5, username="soon", email="soon@example.com")
    call_command("send_reminders", stdout=io.StringIO())
    application.refresh_from_db()
    assert application.reminded_at is not None

    later = timezone.now() + timedelta(hours=20)
    application_save(application=application, fields={"closes_at": later})
    call_command("send_reminders", stdout=io.StringIO())

    assert [m.to for m in mail.outbox] == [["soon@example.com"], ["soon@example.com"]]
