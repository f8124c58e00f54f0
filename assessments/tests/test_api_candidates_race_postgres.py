"""Two `POST /api/tests/{id}/candidates/` (or two invitation lists) at the same moment for the same
candidate make one account and one application; one caller gets 201, the other 200 with what already
existed, and neither sees a 500.

Each test forces the worst interleaving: both requests have looked the row up and found nothing before
either inserts it (a barrier in front of the insert), so the second insert meets the unique index.
"""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from rest_framework.test import APIClient

from assessments import models
from assessments.tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CALLERS = 2


def pause_before_first_save(monkeypatch: pytest.MonkeyPatch, model: type[Any], barrier: threading.Barrier) -> None:
    """Make each thread wait at `barrier` the first time it saves a `model`, so every caller has done its
    look-up before anyone inserts."""
    original: Callable[..., None] = model.save
    paused = threading.local()

    def save(self: Any, *args: Any, **kwargs: Any) -> None:
        if not getattr(paused, "done", False):
            paused.done = True
            barrier.wait(timeout=10)
        original(self, *args, **kwargs)

    monkeypatch.setattr(model, "save", save)


def post_together(test: models.Test, recruiter: User, payloads: list[dict[str, Any]]) -> list[Any]:
    """POST every payload from its own thread (its own connection); any exception fails the caller."""
    responses: list[Any] = []
    errors: list[BaseException] = []

    def post(payload: dict[str, Any]) -> None:
        client = APIClient()
        client.force_authenticate(recruiter)
        try:
            responses.append(client.post(f"/api/tests/{test.pk}/candidates/", payload, format="json"))
        except BaseException as exc:  # an unhandled error (IntegrityError...) would be a 500
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(payload,)) for payload in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(responses) == len(payloads)
    return responses


def test_racing_adds_of_a_new_username_make_one_account_and_one_application(monkeypatch):
    recruiter = factories.RecruiterFactory()
    test = factories.published_test_with_bank(created_by=recruiter)
    pause_before_first_save(monkeypatch, User, threading.Barrier(CALLERS))

    responses = post_together(test, recruiter, [{"username": "dana", "email": "dana@example.com"}] * CALLERS)

    assert sorted(r.status_code for r in responses) == [200, 201], [r.content for r in responses]
    created = next(r.json() for r in responses if r.status_code == 201)
    again = next(r.json() for r in responses if r.status_code == 200)
    user = User.objects.get(username="dana")
    application = models.CandidateApplication.objects.get(candidate=user, test=test)
    assert (created["created"], again["created"]) == (True, False)
    assert user.check_password(created["password"])
    assert again["password"] is None  # the second caller did not make the account and never learns its password
    assert created["candidate_id"] == again["candidate_id"] == user.pk
    assert created["application_id"] == again["application_id"] == application.pk
    assert application.status == models.CandidateApplication.Status.SHORTLISTED


def test_racing_adds_of_an_existing_account_make_one_application(monkeypatch):
    recruiter = factories.RecruiterFactory()
    test = factories.published_test_with_bank(created_by=recruiter)
    candidate = factories.UserFactory(username="erin")
    pause_before_first_save(monkeypatch, models.CandidateApplication, threading.Barrier(CALLERS))

    responses = post_together(test, recruiter, [{"username": "erin", "time_multiplier": 1.5}] * CALLERS)

    assert sorted(r.status_code for r in responses) == [200, 201], [r.content for r in responses]
    application = models.CandidateApplication.objects.get(candidate=candidate, test=test)
    assert {r.json()["application_id"] for r in responses} == {application.pk}
    assert all(r.json()["created"] is False for r in responses)
    assert (application.status, application.time_multiplier) == (models.CandidateApplication.Status.SHORTLISTED, 1.5)


def test_racing_invitations_of_a_new_username_make_one_account_and_one_application(monkeypatch):
    """The invitation list (admin and `invite_candidates`) creates accounts the same race-safe way:
    before, the second insert of the same username raised IntegrityError and undid the whole list."""
    from assessments.services.candidates import InviteRow, candidates_invite

    test = factories.published_test_with_bank()
    pause_before_first_save(monkeypatch, User, threading.Barrier(CALLERS))
    reports: list[Any] = []
    errors: list[BaseException] = []

    def invite() -> None:
        try:
            reports.append(candidates_invite(test=test, rows=[InviteRow(line=1, username="fay", email="fay@x.org")]))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=invite) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    user = User.objects.get(username="fay")
    assert models.CandidateApplication.objects.filter(candidate=user, test=test).count() == 1
    created = [r for r in reports if r.created_for_email]
    assert len(created) == 1
    assert created[0].created_for_email == ["fay"]
    assert not user.has_usable_password()  # an address: she signs in by the emailed link
    (other,) = [r for r in reports if not r.created_for_email]
    assert (other.invited, other.already) in (([], [("fay", "Invited")]), (["fay"], []))
