"""Who may take which test, and how many attempts they have left."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.db.models import Max, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.errors import ApplicationError
from assessments.models import Assessment, CandidateApplication, Test

ACCESS_DENIED_STATUS = 403


@dataclass(frozen=True)
class TestAccess:
    test: Test
    application: CandidateApplication | None
    attempts_used: int
    attempts_left: int
    in_progress: Assessment | None

    @property
    def time_multiplier(self) -> float:
        return self.application.time_multiplier if self.application else 1.0

    @classmethod
    def of(
        cls, *, test: Test, application: CandidateApplication | None, attempts_used: int, in_progress: Assessment | None
    ) -> "TestAccess":
        """`attempts_used` is the highest attempt number: what the next attempt follows."""
        return cls(
            test=test,
            application=application,
            attempts_used=attempts_used,
            attempts_left=max(test.max_attempts - attempts_used, 0),
            in_progress=in_progress,
        )


def blueprint_window_state(*, test: Test, now: datetime | None = None) -> str:
    """`upcoming`, `open` or `closed`, by the test's window alone."""
    now = now or timezone.now()
    if test.opens_at and now < test.opens_at:
        return "upcoming"
    if test.closes_at and now >= test.closes_at:
        return "closed"
    return "open"


def blueprint_access_evaluate(*, test: Test, user: User, now: datetime | None = None) -> TestAccess:
    """Everything needed to decide access, without deciding it."""
    application = CandidateApplication.objects.filter(test=test, candidate=user).first()
    attempts = list(Assessment.objects.filter(test=test, candidate=user).only("id", "status", "attempt_number"))
    in_progress = next((a for a in attempts if a.status == Assessment.Status.IN_PROGRESS), None)
    used = max((a.attempt_number for a in attempts), default=0)
    return TestAccess.of(test=test, application=application, attempts_used=used, in_progress=in_progress)


M = TypeVar("M", bound=Model)


def with_access_of(rows: QuerySet[M], *, user: User, test_ref: str) -> QuerySet[M]:
    """Annotate each row with `user`'s application to the test `test_ref` names, and the attempts used.

    The attempts used are the highest attempt number, which is also what the next attempt follows.
    """
    application = CandidateApplication.objects.filter(test_id=OuterRef(test_ref), candidate_id=user.pk)
    attempts = (
        Assessment.objects.filter(test_id=OuterRef(test_ref), candidate_id=user.pk)
        .order_by()
        .values("test_id")
        .annotate(used=Max("attempt_number"))
        .values("used")
    )
    return rows.annotate(
        access_application_id=Subquery(application.values("pk")[:1]),
        access_application_status=Subquery(application.values("status")[:1]),
        access_time_multiplier=Subquery(application.values("time_multiplier")[:1]),
        access_attempts_used=Coalesce(Subquery(attempts[:1]), 0),
    )


def access_from_annotated(*, test: Test, row: Any, user: User) -> TestAccess:
    """The TestAccess of a row annotated by `with_access_of` (the row may be the test itself)."""
    application = None
    if row.access_application_id is not None:
        application = CandidateApplication.from_db(
            "default",
            ["id", "test_id", "candidate_id", "status", "time_multiplier"],
            [row.access_application_id, test.pk, user.pk, row.access_application_status, row.access_time_multiplier],
        )
    return TestAccess.of(
        test=test, application=application, attempts_used=int(row.access_attempts_used), in_progress=None
    )


def blueprint_access_load(*, test_id: int, user: User) -> TestAccess:
    """The test and `user`'s access to it in one statement; `in_progress` is left unset."""
    test = with_access_of(Test.objects.filter(pk=test_id), user=user, test_ref="pk").first()
    if test is None:
        raise ApplicationError("test_not_found", f"Test {test_id} does not exist.", status=404)
    return access_from_annotated(test=test, row=test, user=user)


def blueprint_access_check(*, access: TestAccess, now: datetime | None = None, new_attempt: bool) -> None:
    """Raise `ApplicationError` (status 403) naming why this candidate may not take the test now.

    `new_attempt=False` checks only what resuming an in-progress attempt needs.
    """
    test = access.test
    if test.status != Test.Status.PUBLISHED:
        raise ApplicationError("test_not_published", "This test is not published.", status=ACCESS_DENIED_STATUS)
    window = blueprint_window_state(test=test, now=now)
    if window == "upcoming":
        raise ApplicationError("test_not_open", "This test has not opened yet.", status=ACCESS_DENIED_STATUS)
    if window == "closed" and new_attempt:
        raise ApplicationError("test_closed", "This test has closed.", status=ACCESS_DENIED_STATUS)
    if test.requires_application:
        app = access.application
        if app is None or app.status not in CandidateApplication.ELIGIBLE_STATUSES:
            raise ApplicationError(
                "not_eligible", "You are not invited or shortlisted for this test.", status=ACCESS_DENIED_STATUS
            )
    if new_attempt and access.attempts_left <= 0:
        raise ApplicationError(
            "attempts_exhausted",
            f"All {test.max_attempts} attempt(s) for this test are used.",
            status=ACCESS_DENIED_STATUS,
        )
