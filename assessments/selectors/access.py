"""Who may take which test, and how many attempts they have left."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User

from assessments import clock
from assessments.errors import ApplicationError
from assessments.messages import ErrorCode
from assessments.models import Assessment, CandidateApplication, Test
from assessments.services.statements import test_access_row

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

    @property
    def closes_at(self) -> datetime | None:
        """The latest start for this candidate: the test's close or their own deadline, the earlier."""
        own = self.application.closes_at if self.application else None
        deadlines = [d for d in (self.test.closes_at, own) if d is not None]
        return min(deadlines) if deadlines else None

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
    now = now or clock.now()
    if test.opens_at and now < test.opens_at:
        return "upcoming"
    if test.closes_at and now >= test.closes_at:
        return "closed"
    return "open"


def access_window_state(*, access: TestAccess, now: datetime | None = None) -> str:
    """`upcoming`, `open` or `closed` for this candidate: the test's window, closed early by their own deadline."""
    now = now or clock.now()
    window = blueprint_window_state(test=access.test, now=now)
    closes_at = access.closes_at
    if window == "open" and closes_at is not None and now >= closes_at:
        return "closed"
    return window


def blueprint_access_evaluate(*, test: Test, user: User, now: datetime | None = None) -> TestAccess:
    """Everything needed to decide access, without deciding it."""
    application = CandidateApplication.objects.filter(test=test, candidate=user).first()
    attempts = list(Assessment.objects.filter(test=test, candidate=user).only("id", "status", "attempt_number"))
    in_progress = next((a for a in attempts if a.status == Assessment.Status.IN_PROGRESS), None)
    used = max((a.attempt_number for a in attempts), default=0)
    return TestAccess.of(test=test, application=application, attempts_used=used, in_progress=in_progress)


def blueprint_access_load(*, test_id: int, user: User) -> TestAccess:
    """The test and `user`'s access to it in one statement; `in_progress` is left unset."""
    found = test_access_row(test_id=test_id, user_id=user.pk)
    if found is None:
        raise ApplicationError(ErrorCode.TEST_NOT_FOUND, f"Test {test_id} does not exist.", status=404)
    test, application, attempts_used = found
    return TestAccess.of(test=test, application=application, attempts_used=attempts_used, in_progress=None)


def blueprint_access_check(*, access: TestAccess, now: datetime | None = None, new_attempt: bool) -> None:
    """Raise `ApplicationError` (status 403) naming why this candidate may not take the test now.

    `new_attempt=False` checks only what resuming an in-progress attempt needs.
    """
    test = access.test
    if test.status != Test.Status.PUBLISHED:
        raise ApplicationError(ErrorCode.TEST_NOT_PUBLISHED, "This test is not published.", status=ACCESS_DENIED_STATUS)
    window = access_window_state(access=access, now=now)
    if window == "upcoming":
        raise ApplicationError(ErrorCode.TEST_NOT_OPEN, "This test has not opened yet.", status=ACCESS_DENIED_STATUS)
    if window == "closed" and new_attempt:
        own = blueprint_window_state(test=test, now=now) == "open"
        text = "Your time to start this test has ended." if own else "This test has closed."
        raise ApplicationError(ErrorCode.TEST_CLOSED, text, status=ACCESS_DENIED_STATUS)
    if test.requires_application:
        app = access.application
        if app is None or app.status not in CandidateApplication.ELIGIBLE_STATUSES:
            raise ApplicationError(
                ErrorCode.NOT_ELIGIBLE, "You are not invited or shortlisted for this test.", status=ACCESS_DENIED_STATUS
            )
    if new_attempt and access.attempts_left <= 0:
        raise ApplicationError(
            ErrorCode.ATTEMPTS_EXHAUSTED,
            f"All {test.max_attempts} attempt(s) for this test are used.",
            status=ACCESS_DENIED_STATUS,
        )
