"""An attempt from start to finish. Each function is one transaction; the consumer sends what it returns.

Every message that reports a state change is logged with the next seq in the same transaction
(`services.events`), so a client that reconnects can replay exactly what it missed. The attempt's
working state (`services.progress`) and the cached bank (`selectors.bank`) keep the hot paths to a
few statements: each reads the attempt's row under its lock and writes what changed.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from assessments import clock
from assessments import messages as msg
from assessments.ai.providers import Usage
from assessments.errors import ApplicationError
from assessments.models import Assessment, IntegrityEvent, Response, Test
from assessments.scoring import attempt_score
from assessments.selectors.access import TestAccess, blueprint_access_check, blueprint_access_load
from assessments.selectors.bank import Bank, bank_for
from assessments.services.disconnect_credits import attempt_disconnect_credit
from assessments.services.events import EventBatch, event_push_to_candidate, events_after
from assessments.services.progress import Asked, Progress, progress_keep, progress_of
from assessments.services.selection import Abilities, option_order_shuffled, question_pick_next
from assessments.services.sessions import SessionClaim, session_claim
from assessments.services.snapshots import (
    attempt_snapshot,
    completed_data,
    current_question,
    question_payload,
    started_data,
)
from assessments.services.statements import (
    attempt_latest_locked_row,
    attempt_save,
    rows_insert,
    session_access_locked_row,
)


@dataclass(frozen=True)
class Connection:
    """Who is asking, on which endpoint, holding which session epoch."""

    user: User
    test_id: int | None
    connection_id: str
    epoch: int
    # The network round trip the client reported last (`heartbeat {rtt_ms}`); the consumer replaces it.
    round_trip_ms: int | None = None


@dataclass
class Outcome:
    messages: list[dict[str, Any]] = field(default_factory=list)
    assessment_id: int | None = None
    deadline: datetime | None = None
    finished: bool = False

    @property
    def asks_question(self) -> bool:
        return any(message["type"] == "question" for message in self.messages)


# ---------------------------------------------------------------- helpers

# What ending an attempt changes on its row.
FINAL_FIELDS = ["score", "max_score", "percentage_score", "passed", "status", "end_reason", "ended_at", "ai_state"]


def _require_test(conn: Connection) -> int:
    if conn.test_id is None:
        raise ApplicationError(
            msg.ErrorCode.NO_TEST, "This connection is not for a test; connect to /ws/assessment/<test_id>/."
        )
    return conn.test_id


def attempt_latest_locked(*, conn: Connection) -> Assessment | None:
    test_id = _require_test(conn)
    return attempt_latest_locked_row(candidate_id=conn.user.pk, test_id=test_id)


def attempt_epoch_check(*, assessment: Assessment, conn: Connection) -> None:
    if assessment.status == Assessment.Status.IN_PROGRESS and assessment.session_epoch != conn.epoch:
        raise ApplicationError(
            msg.ErrorCode.SESSION_REPLACED, "This assessment continues in another window.", status=409
        )


def ask_next(
    *,
    assessment: Assessment,
    progress: Progress,
    bank: Bank,
    events: EventBatch,
    now: datetime,
    ref: str | None = None,
    answered: Asked | None = None,
    abilities: Abilities | None = None,
) -> dict[str, Any] | None:
    """Create the next Response and log its `question`; None when the bank has nothing left."""
    prepared = set(assessment.ai_state.get("prepared", []))
    item = question_pick_next(progress=progress, bank=bank, prepared=prepared, abilities=abilities)
    if item is None:
        return None
    order = option_order_shuffled(count=len(item.options))
    position = len(progress.items) + 1
    response = Response(assessment=assessment, question_id=item.pk, position=position, option_order=order, asked_at=now)
    rows_insert([response], returning_pk=True)
    bank.exposure_count_shown(question_id=item.pk)
    asked = Asked(question_id=item.pk, response_id=response.pk, position=position, option_order=order, asked_at=now)
    progress.items.append(asked)
    data = question_payload(assessment=assessment, asked=asked, bank=bank, now=now)
    return events.add("question", data, ref=ref, response_id=answered.response_id if answered else None)


def finalize(
    *,
    assessment: Assessment,
    status: str,
    reason: str,
    now: datetime,
    events: EventBatch,
    ref: str | None = None,
    answered: Asked | None = None,
) -> dict[str, Any]:
    """End the attempt and score it from its working state; log `assessment_completed` into `events`.

    The caller writes the events and saves FINAL_FIELDS (with `last_seq`).
    """
    # A question voided by a regrade while the attempt ran counts neither in the score nor the max.
    progress = progress_of(assessment=assessment)
    scored = attempt_score(
        asked=[a.question_id for a in progress.items],
        credit=progress.credit(),
        max_before_voids=assessment.max_score,
        voided=bank_for(test=assessment.test).voided,
        pass_percentage=assessment.test.pass_percentage,
    )
    if scored.voided_asked:
        # Later regrades count from the max_score before any void (see services.regrades).
        assessment.ai_state.setdefault("regrade", {}).setdefault("original_max_score", assessment.max_score)
    assessment.score, assessment.max_score = scored.score, scored.max_score
    assessment.percentage_score, assessment.passed = scored.percentage, scored.passed
    assessment.status = status
    assessment.end_reason = reason
    # A timed-out attempt ended at its deadline, however late the expiry pass came round to it.
    timed_out = status == Assessment.Status.TIMED_OUT
    assessment.ended_at = min(now, assessment.deadline_at) if timed_out else now
    return events.add(
        "assessment_completed",
        completed_data(assessment),
        ref=ref,
        response_id=answered.response_id if answered else None,
    )


def finalize_now(*, assessment: Assessment, status: str, reason: str, now: datetime) -> dict[str, Any]:
    """Off the answer path: end the attempt, write its event and save it, in this transaction."""
    events = EventBatch(assessment)
    message = finalize(assessment=assessment, status=status, reason=reason, now=now, events=events)
    events.write()
    assessment.save(update_fields=[*FINAL_FIELDS, "last_seq"])
    return message


def attempt_expire_if_due(*, assessment: Assessment, now: datetime) -> dict[str, Any] | None:
    """Finalize a running attempt whose deadline has passed; tell its live connection, wherever it is."""
    if assessment.status != Assessment.Status.IN_PROGRESS or now < assessment.deadline_at + clock.time_up_grace():
        return None
    message = finalize_now(assessment=assessment, status=Assessment.Status.TIMED_OUT, reason="time_up", now=now)
    event_push_to_candidate(assessment=assessment, message=message)
    return message


# ---------------------------------------------------------------- connection


@dataclass(frozen=True)
class Opened:
    claim: SessionClaim
    auth_success: dict[str, Any]
    assessment_id: int | None  # the attempt running, if any
    deadline: datetime | None
    # (attempt id, last seq) the snapshot stands for: later events come as pushes or by `resume`.
    snapshot_seq: tuple[int, int] | None = None
    notices: list[dict[str, Any]] = field(default_factory=list)  # to send after auth_success


def connection_open(
    *, user: User, test_id: int | None, channel_name: str, worker: str, reconnecting_epoch: int | None = None
) -> Opened:
    """Check access to the test, claim the session (kicking any older connection) and snapshot the attempt.

    An in-progress attempt may be resumed, and a finished one looked at, even after the window closed.
    Four statements: the test with the candidate's access, the session upsert, the fencing of a
    running attempt, and the latest attempt under its lock; two more when the running attempt is given
    back time it had no connection (`services.disconnect_credits`), which the snapshot then shows.
    """
    now = clock.now()
    with transaction.atomic():
        assessment, credit = None, None
        if test_id is not None:
            access = blueprint_access_load(test_id=test_id, user=user)
            blueprint_access_check(access=access, now=now, new_attempt=access.attempts_used == 0)
        claim = session_claim(
            user=user,
            test_id=test_id,
            channel_name=channel_name,
            worker=worker,
            reconnecting_epoch=reconnecting_epoch,
        )
        if test_id is not None:
            conn = Connection(user=user, test_id=test_id, connection_id=claim.connection_id, epoch=claim.epoch)
            assessment = attempt_latest_locked(conn=conn)
            if assessment is not None:
                attempt_expire_if_due(assessment=assessment, now=now)
            if assessment and assessment.status == Assessment.Status.IN_PROGRESS and claim.offline_since:
                credit = attempt_disconnect_credit(assessment=assessment, offline_since=claim.offline_since, now=now)
        in_progress = assessment is not None and assessment.status == Assessment.Status.IN_PROGRESS
        message = msg.server_message(
            "auth_success",
            msg.AuthSuccess(
                user_id=user.pk,
                connection_id=claim.connection_id,
                epoch=claim.epoch,
                server_time=now,
                recovered=in_progress,
                assessment=attempt_snapshot(assessment=assessment, now=now) if assessment else None,
            ),
        )
    return Opened(
        claim=claim,
        auth_success=message,
        assessment_id=assessment.pk if in_progress and assessment else None,
        deadline=assessment.deadline_at if in_progress and assessment else None,
        snapshot_seq=(assessment.pk, assessment.last_seq) if assessment else None,
        notices=[credit.notice] if credit else [],
    )


# ---------------------------------------------------------------- candidate actions


def assessment_start(*, conn: Connection, ref: str | None = None) -> Outcome:
    """Start an attempt, or resume the one in progress. Two racing starts make one attempt."""
    try:
        return _assessment_start(conn=conn, ref=ref)
    except IntegrityError:
        # Another connection created the attempt between our read and our insert: resume it.
        return _assessment_start(conn=conn, ref=ref)


def _session_access_locked(*, conn: Connection) -> TestAccess:
    """Lock the candidate's session (starts of one candidate queue here) and check it is still ours;
    the test and the candidate's access to it come in the same statement."""
    found = session_access_locked_row(key=conn.connection_id, user_id=conn.user.pk)
    if found is None or found[0] != conn.epoch:
        raise ApplicationError(
            msg.ErrorCode.SESSION_REPLACED, "This assessment continues in another window.", status=409
        )
    _epoch, test, application, attempts_used = found
    return TestAccess.of(test=test, application=application, attempts_used=attempts_used, in_progress=None)


@transaction.atomic
def _assessment_start(*, conn: Connection, ref: str | None) -> Outcome:
    now = clock.now()
    _require_test(conn)
    access = _session_access_locked(conn=conn)
    latest = attempt_latest_locked(conn=conn)
    if latest is not None:
        attempt_expire_if_due(assessment=latest, now=now)
        if latest.status == Assessment.Status.IN_PROGRESS:
            messages = [
                msg.server_message(
                    "assessment_started", started_data(assessment=latest, resumed=True, now=now), ref=ref
                )
            ]
            current = current_question(assessment=latest, progress=progress_of(assessment=latest), now=now)
            if current:
                messages.append(msg.server_message("question", current, ref=ref))
            return Outcome(messages=messages, assessment_id=latest.pk, deadline=latest.deadline_at)

    test = access.test
    blueprint_access_check(access=access, now=now, new_attempt=True)
    bank = bank_for(test=test)
    bank_size = len(bank.active())
    if bank_size == 0:
        raise ApplicationError(
            msg.ErrorCode.BANK_EMPTY, "This test has no questions yet; please contact the recruiter.", status=409
        )
    progress = Progress()
    assessment = Assessment(
        test=test,
        candidate_id=conn.user.pk,
        application=access.application,
        attempt_number=access.attempts_used + 1,
        status=Assessment.Status.IN_PROGRESS,
        started_at=now,
        deadline_at=deadline_for(test=test, started_at=now, time_multiplier=access.time_multiplier),
        max_score=min(test.total_questions, bank_size),
        session_epoch=conn.epoch,
        progress=progress.as_json(),
    )
    rows_insert([assessment], returning_pk=True)
    bank.exposure_count_start()
    events = EventBatch(assessment)
    started = events.add("assessment_started", started_data(assessment=assessment, resumed=False, now=now), ref=ref)
    question = ask_next(assessment=assessment, progress=progress, bank=bank, events=events, now=now)
    events.write()
    progress_keep(assessment=assessment, progress=progress)
    attempt_save(assessment=assessment, fields=["last_seq", "progress"])
    messages = [started] + ([question] if question else [])
    return Outcome(messages=messages, assessment_id=assessment.pk, deadline=assessment.deadline_at)


def running_attempt(*, conn: Connection, now: datetime, ref: str | None) -> tuple[Assessment, Outcome | None]:
    """The candidate's latest attempt, locked; with the Outcome to return instead when it has ended."""
    assessment = attempt_latest_locked(conn=conn)
    if assessment is None:
        raise ApplicationError(msg.ErrorCode.NO_ACTIVE_ASSESSMENT, "Start the assessment first (start_assessment).")
    attempt_epoch_check(assessment=assessment, conn=conn)
    expired = attempt_expire_if_due(assessment=assessment, now=now)
    if expired:
        return assessment, Outcome(messages=[expired], assessment_id=assessment.pk, finished=True)
    if assessment.status != Assessment.Status.IN_PROGRESS:
        result = msg.server_message("assessment_completed", completed_data(assessment), ref=ref)
        return assessment, Outcome(messages=[result], assessment_id=assessment.pk, finished=True)
    return assessment, None


@transaction.atomic
def question_current(*, conn: Connection, ref: str | None = None) -> Outcome:
    """The current unanswered question again (never a new one), or the result if the attempt is over."""
    now = clock.now()
    assessment, ended = running_attempt(conn=conn, now=now, ref=ref)
    if ended is not None:
        return ended
    current = current_question(assessment=assessment, progress=progress_of(assessment=assessment), now=now)
    messages = [msg.server_message("question", current, ref=ref)] if current else []
    return Outcome(messages=messages, assessment_id=assessment.pk, deadline=assessment.deadline_at)


@transaction.atomic
def assessment_complete(*, conn: Connection, ref: str | None = None) -> Outcome:
    """The candidate hands in early; unanswered questions score nothing."""
    now = clock.now()
    assessment, ended = running_attempt(conn=conn, now=now, ref=ref)
    if ended is not None:
        return ended
    message = finalize_now(assessment=assessment, status=Assessment.Status.COMPLETED, reason="submitted", now=now)
    return Outcome(messages=[message], assessment_id=assessment.pk, finished=True)


@transaction.atomic
def events_replay(*, conn: Connection, last_seq: int) -> Outcome:
    """Every logged event of the candidate's latest attempt after `last_seq`, in order."""
    assessment = attempt_latest_locked(conn=conn)
    if assessment is None:
        return Outcome()
    attempt_expire_if_due(assessment=assessment, now=clock.now())
    return Outcome(messages=events_after(assessment=assessment, last_seq=last_seq), assessment_id=assessment.pk)


def usage_record_into(*, state: dict[str, Any], usage: Usage) -> None:
    """Add a call's token counts and estimated cost to an attempt's ai_state."""
    recorded = state.setdefault("usage", {"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0})
    recorded["calls"] += usage.calls
    recorded["input_tokens"] += usage.input_tokens
    recorded["output_tokens"] += usage.output_tokens
    recorded["cost_usd"] = round(recorded["cost_usd"] + usage.cost_usd(), 6)


@transaction.atomic
def integrity_record(*, conn: Connection, kind: str, ref: str | None = None) -> Outcome:
    assessment = attempt_latest_locked(conn=conn)
    if assessment is None:
        raise ApplicationError(msg.ErrorCode.NO_ACTIVE_ASSESSMENT, "Integrity events belong to a running attempt.")
    attempt_epoch_check(assessment=assessment, conn=conn)
    expired = attempt_expire_if_due(assessment=assessment, now=clock.now())
    if expired:
        return Outcome(messages=[expired], assessment_id=assessment.pk, finished=True)
    if assessment.status != Assessment.Status.IN_PROGRESS:
        raise ApplicationError(msg.ErrorCode.NO_ACTIVE_ASSESSMENT, "Integrity events belong to a running attempt.")
    IntegrityEvent.objects.create(assessment=assessment, kind=kind)
    return Outcome(messages=[msg.server_message("ack", msg.Ack(), ref=ref)])


def deadline_for(*, test: Test, started_at: datetime, time_multiplier: float) -> datetime:
    """started_at + time limit times the accommodation, capped at the test's closing time."""
    deadline = started_at + timedelta(minutes=test.time_limit_minutes * time_multiplier)
    return min(deadline, test.closes_at) if test.closes_at else deadline
