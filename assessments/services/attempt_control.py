"""What recruiters and the server do to a running attempt: expire it at its deadline, extend it,
terminate it, and change a candidate's accommodation. Each is one transaction under the attempt's
row lock, and the candidate hears the change (`time_extended`, `assessment_completed`) after commit."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from assessments import clock
from assessments import messages as msg
from assessments.clock import seconds_left
from assessments.errors import ApplicationError, BackOfficeCode
from assessments.models import (
    Assessment,
    CandidateApplication,
    Response,
)
from assessments.services.attempts import attempt_expire_if_due, finalize_now
from assessments.services.events import event_append, event_push_to_candidate

logger = logging.getLogger(__name__)


@transaction.atomic
def assessment_expire_if_due(*, assessment_id: int) -> bool:
    """Finalize one attempt if its deadline has passed. True when this call ended it."""
    assessment = (
        Assessment.objects.select_for_update(of=("self",)).select_related("test").filter(pk=assessment_id).first()
    )
    return assessment is not None and attempt_expire_if_due(assessment=assessment, now=clock.now()) is not None


def assessments_expire_due(
    *, now: datetime | None = None, test_id: int | None = None, candidate_id: int | None = None
) -> list[int]:
    """Finalize every running attempt past its deadline (of one test or candidate, if named), each in
    its own transaction. The expiry loop calls it; so does every page that shows attempts, so that what
    it shows never depends on whether the loop has run yet."""
    due = Assessment.objects.filter(
        status=Assessment.Status.IN_PROGRESS, deadline_at__lte=(now or clock.now()) - clock.time_up_grace()
    )
    if test_id is not None:
        due = due.filter(test_id=test_id)
    if candidate_id is not None:
        due = due.filter(candidate_id=candidate_id)
    return [pk for pk in due.values_list("pk", flat=True) if assessment_expire_if_due(assessment_id=pk)]


def _running_locked(*, assessment_id: int, now: datetime, doing: str) -> Assessment:
    """The attempt, row-locked with its test, still running once its deadline is checked."""
    assessment = (
        Assessment.objects.select_for_update(of=("self",)).select_related("test").filter(pk=assessment_id).first()
    )
    if assessment is None:
        raise ApplicationError(
            BackOfficeCode.ASSESSMENT_NOT_FOUND, f"Assessment {assessment_id} does not exist.", status=404
        )
    attempt_expire_if_due(assessment=assessment, now=now)
    if assessment.status != Assessment.Status.IN_PROGRESS:
        raise ApplicationError(msg.ErrorCode.ASSESSMENT_FINISHED, f"Only a running attempt can be {doing}.", status=409)
    return assessment


@transaction.atomic
def assessment_extend(*, assessment_id: int, minutes: int) -> Assessment:
    """Move a running attempt's deadline by `minutes`; the candidate hears `time_extended` at once."""
    if minutes <= 0:
        raise ApplicationError(BackOfficeCode.INVALID_MINUTES, "Extend by a positive number of minutes.")
    now = clock.now()
    assessment = _running_locked(assessment_id=assessment_id, now=now, doing="extended")
    assessment.deadline_at += timedelta(minutes=minutes)
    _deadline_moved(assessment=assessment, now=now)
    return assessment


@transaction.atomic
def assessment_terminate(*, assessment_id: int, reason: str) -> Assessment:
    """A recruiter ends a running attempt; the candidate hears `assessment_completed` (terminated) at once."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError(BackOfficeCode.REASON_REQUIRED, "Say why the attempt is terminated.")
    now = clock.now()
    assessment = _running_locked(assessment_id=assessment_id, now=now, doing="terminated")
    assessment.ai_state["termination_reason"] = reason
    message = finalize_now(assessment=assessment, status=Assessment.Status.TERMINATED, reason="terminated", now=now)
    event_push_to_candidate(assessment=assessment, message=message)
    return assessment


@transaction.atomic
def application_time_multiplier_set(*, application: CandidateApplication, time_multiplier: float) -> None:
    """Change a candidate's accommodation; a running attempt's deadline moves with it, at once."""
    previous = application.time_multiplier
    application.time_multiplier = time_multiplier
    application.full_clean()
    application.save(update_fields=["time_multiplier", "updated_at"])
    running = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("test")
        .filter(
            candidate_id=application.candidate_id, test_id=application.test_id, status=Assessment.Status.IN_PROGRESS
        )
        .first()
    )
    if running is None:
        return
    now = clock.now()
    if attempt_expire_if_due(assessment=running, now=now):
        return
    # Move the deadline by the difference only, so any extension already granted is kept.
    running.deadline_at += timedelta(minutes=running.test.time_limit_minutes * (time_multiplier - previous))
    if running.test.closes_at:
        running.deadline_at = min(running.deadline_at, running.test.closes_at)
    _deadline_moved(assessment=running, now=now)


def _deadline_moved(*, assessment: Assessment, now: datetime) -> None:
    """Save a running attempt's new deadline; its candidate hears `time_extended` after commit."""
    assessment.save(update_fields=["deadline_at"])
    data = msg.TimeExtended(
        deadline=assessment.deadline_at,
        time_remaining_seconds=seconds_left(deadline=assessment.deadline_at, now=now),
        server_time=now,
    )
    event_push_to_candidate(
        assessment=assessment, message=event_append(assessment=assessment, message_type="time_extended", data=data)
    )


@dataclass(frozen=True)
class ResetResult:
    assessment_id: int
    candidate: str
    test_id: int
    attempt_number: int
    was_running: bool
    responses_deleted: int


@transaction.atomic
def assessment_reset(*, assessment_id: int, by: str = "") -> ResetResult:
    """Delete a candidate's latest attempt and its whole record, so they may start again.

    The attempt count is the number of attempts, so this gives one attempt back. A running attempt
    is terminated first (the connected candidate hears `assessment_completed`, reason `terminated`).
    Only the latest attempt may be reset: attempt numbers stay 1..n without gaps.
    """
    assessment = (
        Assessment.objects.select_for_update(of=("self",)).select_related("candidate").filter(pk=assessment_id).first()
    )
    if assessment is None:
        raise ApplicationError(
            BackOfficeCode.ASSESSMENT_NOT_FOUND, f"Assessment {assessment_id} does not exist.", status=404
        )
    latest = (
        Assessment.objects.filter(candidate_id=assessment.candidate_id, test_id=assessment.test_id)
        .order_by("-attempt_number")
        .values_list("pk", flat=True)
        .first()
    )
    if latest != assessment.pk:
        raise ApplicationError(
            BackOfficeCode.NOT_LATEST_ATTEMPT,
            f"Assessment {assessment_id} is not this candidate's latest attempt at the test (that is {latest}); "
            "only the latest attempt can be reset.",
            status=409,
        )
    was_running = assessment.status == Assessment.Status.IN_PROGRESS
    if was_running:
        assessment_terminate(assessment_id=assessment.pk, reason=f"reset{f' by {by}' if by else ''}")
    responses = Response.objects.filter(assessment=assessment).count()
    result = ResetResult(
        assessment_id=assessment.pk,
        candidate=assessment.candidate.get_username(),
        test_id=assessment.test_id,
        attempt_number=assessment.attempt_number,
        was_running=was_running,
        responses_deleted=responses,
    )
    assessment.delete()
    logger.info("assessment %s (attempt %s) reset by %s", result.assessment_id, result.attempt_number, by or "?")
    return result
