"""An attempt from start to finish. Each function is one transaction; the consumer sends what it returns.

Every message that reports a state change is logged with the next seq in the same transaction
(`event_append`), so a client that reconnects can replay exactly what it missed.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments.ai.providers import TutorContext, Usage
from assessments.errors import ApplicationError
from assessments.models import (
    Assessment,
    CandidateApplication,
    ChatMessage,
    IntegrityEvent,
    Question,
    Response,
    Skill,
    Test,
)
from assessments.selectors.access import blueprint_access_check, blueprint_access_evaluate, blueprint_get
from assessments.selectors.regrades import blueprint_voided_question_ids
from assessments.selectors.visibility import candidate_result_fields
from assessments.services.events import event_append, event_push_to_candidate, events_after
from assessments.services.selection import attempt_abilities, option_order_shuffled, question_pick_next
from assessments.services.sessions import SessionClaim, session_check, session_claim
from realtime import protocol as p


@dataclass(frozen=True)
class Connection:
    """Who is asking, on which endpoint, holding which session epoch."""

    user: User
    test_id: int | None
    connection_id: str
    epoch: int


@dataclass
class Outcome:
    messages: list[dict[str, Any]] = field(default_factory=list)
    assessment_id: int | None = None
    deadline: datetime | None = None
    finished: bool = False


# ---------------------------------------------------------------- helpers


def seconds_left(*, deadline: datetime, now: datetime | None = None) -> int:
    return max(0, math.ceil((deadline - (now or timezone.now())).total_seconds()))


def _require_test(conn: Connection) -> int:
    if conn.test_id is None:
        raise ApplicationError("no_test", "This connection is not for a test; connect to /ws/assessment/<test_id>/.")
    return conn.test_id


def _latest_attempt_locked(*, conn: Connection) -> Assessment | None:
    test_id = _require_test(conn)
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("test")
        .filter(candidate_id=conn.user.pk, test_id=test_id)
        .order_by("-attempt_number")
        .first()
    )


def _check_epoch(*, assessment: Assessment, conn: Connection) -> None:
    if assessment.status == Assessment.Status.IN_PROGRESS and assessment.session_epoch != conn.epoch:
        raise ApplicationError("session_replaced", "This assessment continues in another window.", status=409)


def question_payload(*, response: Response, now: datetime | None = None) -> p.QuestionSnapshot:
    """The question as the candidate sees it: shuffled options, no key, no explanation."""
    question = response.question
    assessment = response.assessment
    return p.QuestionSnapshot(
        question_id=question.pk,
        position=response.position,
        total=assessment.max_score,
        prompt=question.prompt,
        options=[question.options[i] for i in response.option_order],
        skill=question.skill.name,
        difficulty=question.difficulty,
        time_remaining_seconds=seconds_left(deadline=assessment.deadline_at, now=now),
    )


def _current_response(assessment: Assessment) -> Response | None:
    return (
        assessment.responses.select_related("question__skill", "assessment")
        .filter(answered_at__isnull=True)
        .order_by("position")
        .first()
    )


def _completed_data(assessment: Assessment) -> p.AssessmentCompleted:
    return p.AssessmentCompleted(
        assessment_id=assessment.pk,
        status=assessment.status,
        reason=assessment.end_reason,
        **candidate_result_fields(assessment=assessment),
    )


def _ask_next(
    *, assessment: Assessment, now: datetime, ref: str | None = None, answered: Response | None = None
) -> dict[str, Any] | None:
    """Create the next Response and log its `question`; None when the bank has nothing left."""
    question = question_pick_next(assessment=assessment)
    if question is None:
        return None
    response = Response.objects.create(
        assessment=assessment,
        question=question,
        position=assessment.responses.count() + 1,
        option_order=option_order_shuffled(count=len(question.options)),
        asked_at=now,
    )
    data = question_payload(response=response, now=now)
    return event_append(assessment=assessment, message_type="question", data=data, ref=ref, response=answered)


def _finalize(
    *,
    assessment: Assessment,
    status: str,
    reason: str,
    now: datetime,
    ref: str | None = None,
    answered: Response | None = None,
) -> dict[str, Any]:
    """End the attempt, score it, and log `assessment_completed`."""
    # A question voided by a regrade while the attempt ran counts neither in the score nor the max.
    voided = blueprint_voided_question_ids(test_id=assessment.test_id)
    responses = assessment.responses.all()
    assessment.score = (
        responses.filter(answered_at__isnull=False, is_correct=True).exclude(question_id__in=voided).count()
    )
    voided_asked = responses.filter(question_id__in=voided).count()
    if voided_asked:
        # Later regrades count from the max_score before any void (see services.backoffice).
        assessment.ai_state.setdefault("regrade", {}).setdefault("original_max_score", assessment.max_score)
        assessment.max_score = max(assessment.max_score - voided_asked, 0)
    assessment.percentage_score = (
        round(100.0 * assessment.score / assessment.max_score, 2) if assessment.max_score else 0.0
    )
    assessment.passed = assessment.percentage_score >= assessment.test.pass_percentage
    assessment.status = status
    assessment.end_reason = reason
    assessment.ended_at = now
    assessment.save(
        update_fields=[
            "score",
            "max_score",
            "percentage_score",
            "passed",
            "status",
            "end_reason",
            "ended_at",
            "ai_state",
        ]
    )
    return event_append(
        assessment=assessment,
        message_type="assessment_completed",
        data=_completed_data(assessment),
        ref=ref,
        response=answered,
    )


def _expire_if_due(*, assessment: Assessment, now: datetime) -> dict[str, Any] | None:
    """Finalize a running attempt whose deadline has passed; tell its live connection, wherever it is."""
    if assessment.status != Assessment.Status.IN_PROGRESS or now < assessment.deadline_at:
        return None
    message = _finalize(assessment=assessment, status=Assessment.Status.TIMED_OUT, reason="time_up", now=now)
    event_push_to_candidate(assessment=assessment, message=message)
    return message


def _ability_update(assessment: Assessment) -> bool:
    """Store θ and its SE, overall and per skill; True when the test's SE target is met for every skill."""
    overall, per_skill = attempt_abilities(assessment=assessment)
    names = dict(Skill.objects.filter(test_id=assessment.test_id).values_list("pk", "name"))
    assessment.ai_state["ability"] = {
        "overall": overall.as_dict(),
        "skills": {names[sid]: ability.as_dict() for sid, ability in per_skill.items() if sid in names},
    }
    assessment.save(update_fields=["ai_state"])
    target = assessment.test.se_target
    if target is None:
        return False
    return set(per_skill) >= set(names) and all(a.se <= target for a in per_skill.values())


def _snapshot(*, assessment: Assessment, now: datetime) -> p.AssessmentSnapshot:
    current = _current_response(assessment) if assessment.status == Assessment.Status.IN_PROGRESS else None
    finished = assessment.status != Assessment.Status.IN_PROGRESS
    return p.AssessmentSnapshot(
        assessment_id=assessment.pk,
        test_id=assessment.test_id,
        status=assessment.status,
        attempt=assessment.attempt_number,
        answered=assessment.responses.filter(answered_at__isnull=False).count(),
        total=assessment.max_score,
        deadline=assessment.deadline_at,
        time_remaining_seconds=0 if finished else seconds_left(deadline=assessment.deadline_at, now=now),
        current_question=question_payload(response=current, now=now) if current else None,
        last_seq=assessment.last_seq,
        result=_completed_data(assessment).model_dump(mode="json", exclude_none=True) if finished else None,
        announcements=[] if finished else _announcements_since_start(assessment),
        chat=[] if finished else _chat_so_far(assessment),
    )


SNAPSHOT_ANNOUNCEMENTS = 10


def _announcements_since_start(assessment: Assessment) -> list[p.Announcement]:
    recent = assessment.test.announcements.filter(created_at__gte=assessment.started_at).order_by("-created_at")
    return [
        p.Announcement(announcement_id=a.pk, message=a.message, sent_at=a.created_at)
        for a in reversed(recent[:SNAPSHOT_ANNOUNCEMENTS])
    ]


def _chat_so_far(assessment: Assessment) -> list[p.ChatEntry]:
    return [
        p.ChatEntry.model_validate({"role": role, "message": content})
        for role, content in assessment.chat_messages.order_by("created_at", "id").values_list("role", "content")
    ]


def _started_data(*, assessment: Assessment, resumed: bool, now: datetime) -> p.AssessmentStarted:
    return p.AssessmentStarted(
        assessment_id=assessment.pk,
        test_id=assessment.test_id,
        attempt=assessment.attempt_number,
        total_questions=assessment.max_score,
        time_limit_seconds=int((assessment.deadline_at - assessment.started_at).total_seconds()),
        deadline=assessment.deadline_at,
        server_time=now,
        feedback_mode=assessment.test.feedback_mode,
        resumed=resumed,
    )


# ---------------------------------------------------------------- connection


@dataclass(frozen=True)
class Opened:
    claim: SessionClaim
    auth_success: dict[str, Any]
    assessment_id: int | None
    deadline: datetime | None


def connection_open(
    *, user: User, test_id: int | None, channel_name: str, worker: str, reconnecting_epoch: int | None = None
) -> Opened:
    """Check access to the test, claim the session (kicking any older connection) and snapshot the attempt.

    An in-progress attempt may be resumed, and a finished one looked at, even after the window closed.
    """
    now = timezone.now()
    with transaction.atomic():
        assessment = None
        if test_id is not None:
            test = blueprint_get(test_id=test_id)
            access = blueprint_access_evaluate(test=test, user=user)
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
            assessment = _latest_attempt_locked(conn=conn)
            if assessment is not None:
                _expire_if_due(assessment=assessment, now=now)
        in_progress = assessment is not None and assessment.status == Assessment.Status.IN_PROGRESS
        message = p.server_message(
            "auth_success",
            p.AuthSuccess(
                user_id=user.pk,
                connection_id=claim.connection_id,
                epoch=claim.epoch,
                server_time=now,
                recovered=in_progress,
                assessment=_snapshot(assessment=assessment, now=now) if assessment else None,
            ),
        )
    return Opened(
        claim=claim,
        auth_success=message,
        assessment_id=assessment.pk if in_progress and assessment else None,
        deadline=assessment.deadline_at if in_progress and assessment else None,
    )


# ---------------------------------------------------------------- candidate actions


def assessment_start(*, conn: Connection, ref: str | None = None) -> Outcome:
    """Start an attempt, or resume the one in progress. Two racing starts make one attempt."""
    try:
        return _assessment_start(conn=conn, ref=ref)
    except IntegrityError:
        # Another connection created the attempt between our read and our insert: resume it.
        return _assessment_start(conn=conn, ref=ref)


@transaction.atomic
def _assessment_start(*, conn: Connection, ref: str | None) -> Outcome:
    now = timezone.now()
    test_id = _require_test(conn)
    session_check(connection_id=conn.connection_id, epoch=conn.epoch, lock=True)
    latest = _latest_attempt_locked(conn=conn)
    if latest is not None:
        _expire_if_due(assessment=latest, now=now)
        if latest.status == Assessment.Status.IN_PROGRESS:
            current = _current_response(latest)
            messages = [
                p.server_message("assessment_started", _started_data(assessment=latest, resumed=True, now=now), ref=ref)
            ]
            if current:
                messages.append(p.server_message("question", question_payload(response=current, now=now), ref=ref))
            return Outcome(messages=messages, assessment_id=latest.pk, deadline=latest.deadline_at)

    test = Test.objects.get(pk=test_id)
    access = blueprint_access_evaluate(test=test, user=conn.user)
    blueprint_access_check(access=access, now=now, new_attempt=True)
    bank_size = Question.objects.filter(test=test, active=True).count()
    if bank_size == 0:
        raise ApplicationError(
            "bank_empty", "This test has no questions yet; please contact the recruiter.", status=409
        )
    deadline = deadline_for(test=test, started_at=now, time_multiplier=access.time_multiplier)
    with transaction.atomic():  # a savepoint, so a lost race surfaces as IntegrityError to the caller
        assessment = Assessment.objects.create(
            test=test,
            candidate_id=conn.user.pk,
            application=access.application,
            attempt_number=access.attempts_used + 1,
            status=Assessment.Status.IN_PROGRESS,
            started_at=now,
            deadline_at=deadline,
            max_score=min(test.total_questions, bank_size),
            session_epoch=conn.epoch,
        )
    started = event_append(
        assessment=assessment,
        message_type="assessment_started",
        data=_started_data(assessment=assessment, resumed=False, now=now),
        ref=ref,
    )
    question = _ask_next(assessment=assessment, now=now)
    messages = [started] + ([question] if question else [])
    return Outcome(messages=messages, assessment_id=assessment.pk, deadline=deadline)


def _running_attempt(*, conn: Connection, now: datetime, ref: str | None) -> tuple[Assessment, Outcome | None]:
    """The candidate's latest attempt, locked; with the Outcome to return instead when it has ended."""
    assessment = _latest_attempt_locked(conn=conn)
    if assessment is None:
        raise ApplicationError("no_active_assessment", "Start the assessment first (start_assessment).")
    _check_epoch(assessment=assessment, conn=conn)
    expired = _expire_if_due(assessment=assessment, now=now)
    if expired:
        return assessment, Outcome(messages=[expired], assessment_id=assessment.pk, finished=True)
    if assessment.status != Assessment.Status.IN_PROGRESS:
        result = p.server_message("assessment_completed", _completed_data(assessment), ref=ref)
        return assessment, Outcome(messages=[result], assessment_id=assessment.pk, finished=True)
    return assessment, None


@transaction.atomic
def question_current(*, conn: Connection, ref: str | None = None) -> Outcome:
    """The current unanswered question again (never a new one), or the result if the attempt is over."""
    now = timezone.now()
    assessment, ended = _running_attempt(conn=conn, now=now, ref=ref)
    if ended is not None:
        return ended
    current = _current_response(assessment)
    messages = [p.server_message("question", question_payload(response=current, now=now), ref=ref)] if current else []
    return Outcome(messages=messages, assessment_id=assessment.pk, deadline=assessment.deadline_at)


def _served_index(*, response: Response, selected: int | str) -> int:
    served = [response.question.options[i] for i in response.option_order]
    if isinstance(selected, int):
        if not 0 <= selected < len(served):
            raise ApplicationError("invalid_option", f"selected_option must be between 0 and {len(served) - 1}.")
        return selected
    if selected in served:
        return served.index(selected)
    raise ApplicationError("invalid_option", "selected_option matches none of this question's options.")


@transaction.atomic
def answer_submit(*, conn: Connection, question_id: int, selected_option: int | str, ref: str | None = None) -> Outcome:
    """Record an answer once. A repeat (same id, or a question already answered) gets the original outcome."""
    now = timezone.now()
    assessment = _latest_attempt_locked(conn=conn)
    if assessment is None:
        raise ApplicationError("no_active_assessment", "Start the assessment first (start_assessment).")
    if ref:
        # Only the events of an answer to this same question: an id reused elsewhere replays nothing.
        replay = list(
            assessment.events.filter(ref=ref, response__question_id=question_id)
            .order_by("seq")
            .values_list("payload", flat=True)
        )
        if replay:
            return Outcome(messages=replay, assessment_id=assessment.pk)
    response = (
        assessment.responses.select_related("question__skill", "assessment").filter(question_id=question_id).first()
    )
    if response is None:
        raise ApplicationError("not_in_assessment", f"Question {question_id} is not part of this attempt.")
    if response.answered_at is not None:
        replay = list(response.events.order_by("seq").values_list("payload", flat=True))
        return Outcome(messages=replay, assessment_id=assessment.pk)
    _check_epoch(assessment=assessment, conn=conn)
    expired = _expire_if_due(assessment=assessment, now=now)
    if expired:
        error = p.error_message("assessment_expired", "Time is up; this answer was not recorded.", ref=ref)
        return Outcome(messages=[error, expired], assessment_id=assessment.pk, finished=True)
    if assessment.status != Assessment.Status.IN_PROGRESS:
        raise ApplicationError("assessment_finished", "This attempt has ended; answers are no longer accepted.")

    served = _served_index(response=response, selected=selected_option)
    question = response.question
    response.selected_option = response.option_order[served]
    response.is_correct = response.selected_option == question.correct_option
    response.answered_at = now
    response.time_taken_ms = int((now - response.asked_at).total_seconds() * 1000)
    response.client_msg_id = ref
    response.save(update_fields=["selected_option", "is_correct", "answered_at", "time_taken_ms", "client_msg_id"])
    if response.is_correct:
        assessment.score += 1
        assessment.save(update_fields=["score"])

    mode = assessment.test.feedback_mode
    feedback = p.AnswerFeedback(question_id=question.pk, accepted=True)
    if mode in (Test.FeedbackMode.CORRECTNESS, Test.FeedbackMode.FULL):
        feedback.correct = response.is_correct
    if mode == Test.FeedbackMode.FULL:
        feedback.correct_option = response.option_order.index(question.correct_option)
        feedback.explanation = question.explanation
    answered = assessment.responses.filter(answered_at__isnull=False).count()
    precise_enough = _ability_update(assessment)
    progress = p.ProgressUpdate(
        answered=answered,
        total=assessment.max_score,
        percentage_complete=round(100.0 * answered / assessment.max_score, 1) if assessment.max_score else 100.0,
        time_remaining_seconds=seconds_left(deadline=assessment.deadline_at, now=now),
        score=assessment.score if mode != Test.FeedbackMode.NONE else None,
    )
    messages = [
        event_append(assessment=assessment, message_type=kind, data=data, ref=ref, response=response)
        for kind, data in (("answer_feedback", feedback), ("progress_update", progress))
    ]
    more = answered < assessment.max_score and not precise_enough
    following = _ask_next(assessment=assessment, now=now, ref=ref, answered=response) if more else None
    if following is None:
        reason = "all_answered"
        if precise_enough and answered < assessment.max_score:
            # The ability is measured precisely enough: the attempt is scored on what was asked.
            reason, assessment.max_score = "precision_reached", answered
            assessment.save(update_fields=["max_score"])
        done = Assessment.Status.COMPLETED
        messages.append(
            _finalize(assessment=assessment, status=done, reason=reason, now=now, ref=ref, answered=response)
        )
        return Outcome(messages=messages, assessment_id=assessment.pk, finished=True)
    messages.append(following)
    return Outcome(messages=messages, assessment_id=assessment.pk, deadline=assessment.deadline_at)


@transaction.atomic
def assessment_complete(*, conn: Connection, ref: str | None = None) -> Outcome:
    """The candidate hands in early; unanswered questions score nothing."""
    now = timezone.now()
    assessment, ended = _running_attempt(conn=conn, now=now, ref=ref)
    if ended is not None:
        return ended
    message = _finalize(assessment=assessment, status=Assessment.Status.COMPLETED, reason="submitted", now=now)
    return Outcome(messages=[message], assessment_id=assessment.pk, finished=True)


@transaction.atomic
def events_replay(*, conn: Connection, last_seq: int) -> Outcome:
    """Every logged event of the candidate's latest attempt after `last_seq`, in order."""
    assessment = _latest_attempt_locked(conn=conn)
    if assessment is None:
        return Outcome()
    _expire_if_due(assessment=assessment, now=timezone.now())
    return Outcome(messages=events_after(assessment=assessment, last_seq=last_seq), assessment_id=assessment.pk)


@dataclass(frozen=True)
class ChatTurn:
    """What the tutor may see (no key), and what the guard needs to check its reply (the key)."""

    context: TutorContext
    options: list[str]
    correct_index: int | None
    assessment_id: int | None
    # Set instead when the attempt on this connection turned out to be past its deadline: the
    # `assessment_completed` to send; no tutor runs and nothing of the message is stored.
    ended: dict[str, Any] | None = None


GENERAL_CONTEXT = TutorContext(skill="general", job_description="", question_prompt=None, options=[])


@transaction.atomic
def chat_begin(*, conn: Connection, message: str, ref: str | None = None) -> ChatTurn:
    """Store the candidate's message (within the chat limit) and gather the tutor's context.

    With an attempt running on this connection the message counts against the attempt's limit and
    the reply is checked against the question on screen. Anywhere else it is a general chat.
    """
    assessment = _latest_attempt_locked(conn=conn) if conn.test_id is not None else None
    if assessment is not None:
        _check_epoch(assessment=assessment, conn=conn)
        expired = _expire_if_due(assessment=assessment, now=timezone.now())
        if expired:
            # Not a general chat now: the message was about the question, and the expiry must commit.
            return ChatTurn(
                context=GENERAL_CONTEXT, options=[], correct_index=None, assessment_id=assessment.pk, ended=expired
            )
    if assessment is None or assessment.status != Assessment.Status.IN_PROGRESS:
        _general_chat_store(user=conn.user, message=message)
        return ChatTurn(context=GENERAL_CONTEXT, options=[], correct_index=None, assessment_id=None)
    used = assessment.chat_messages.filter(role=ChatMessage.Role.CANDIDATE).count()
    if used >= settings.JATAYU_CHAT_LIMIT:
        raise ApplicationError("chat_limit", f"The chat allows {settings.JATAYU_CHAT_LIMIT} messages per attempt.")
    ChatMessage.objects.create(assessment=assessment, role=ChatMessage.Role.CANDIDATE, content=message)
    current = _current_response(assessment)
    if current is None:
        context = TutorContext(
            skill="general", job_description=assessment.test.job_description, question_prompt=None, options=[]
        )
        return ChatTurn(context=context, options=[], correct_index=None, assessment_id=assessment.pk)
    question = current.question
    served = [question.options[i] for i in current.option_order]
    context = TutorContext(
        skill=question.skill.name,
        job_description=assessment.test.job_description,
        question_prompt=question.prompt,
        options=served,
    )
    return ChatTurn(
        context=context,
        options=served,
        correct_index=current.option_order.index(question.correct_option),
        assessment_id=assessment.pk,
    )


def _general_chat_store(*, user: User, message: str) -> None:
    """A chat outside a running attempt: refused while one runs elsewhere, limited per user per 24 hours.

    The user's row lock makes the count and the insert one step, whichever worker serves the message.
    """
    now = timezone.now()
    User.objects.select_for_update().filter(pk=user.pk).first()
    running = Assessment.objects.filter(
        candidate_id=user.pk, status=Assessment.Status.IN_PROGRESS, deadline_at__gt=now
    ).first()
    if running is not None:
        raise ApplicationError(
            "assessment_in_progress",
            f"Your assessment for test {running.test_id} is running: use the chat on its page, "
            "where the tutor can see the question.",
        )
    limit = settings.JATAYU_GENERAL_CHAT_LIMIT
    used = ChatMessage.objects.filter(
        candidate_id=user.pk, role=ChatMessage.Role.CANDIDATE, created_at__gte=now - timedelta(hours=24)
    ).count()
    if used >= limit:
        raise ApplicationError("chat_limit", f"The general chat allows {limit} messages in 24 hours.")
    ChatMessage.objects.create(candidate=user, role=ChatMessage.Role.CANDIDATE, content=message)


@transaction.atomic
def chat_finish(
    *, conn: Connection, turn: ChatTurn, reply: str, blocked_leak: bool, usage: Usage, ref: str | None = None
) -> dict[str, Any]:
    """Store the tutor's (checked) reply and its cost; log it as the attempt's `system_message`."""
    data = p.SystemMessage(message=reply)
    if turn.assessment_id is None:
        ChatMessage.objects.create(candidate=conn.user, role=ChatMessage.Role.TUTOR, content=reply)
        return p.server_message("system_message", data, ref=ref)
    assessment = Assessment.objects.select_for_update().get(pk=turn.assessment_id)
    _check_epoch(assessment=assessment, conn=conn)
    ChatMessage.objects.create(
        assessment=assessment, role=ChatMessage.Role.TUTOR, content=reply, blocked_leak=blocked_leak
    )
    state = assessment.ai_state
    state["blocked_leaks"] = state.get("blocked_leaks", 0) + int(blocked_leak)
    usage_record_into(state=state, usage=usage)
    assessment.save(update_fields=["ai_state"])
    if assessment.status != Assessment.Status.IN_PROGRESS:
        # The attempt ended while the tutor replied: its log is closed (a retake may be counting already).
        return p.server_message("system_message", data, ref=ref)
    return event_append(assessment=assessment, message_type="system_message", data=data, ref=ref)


def usage_record_into(*, state: dict[str, Any], usage: Usage) -> None:
    """Add a call's token counts and estimated cost to an attempt's ai_state."""
    recorded = state.setdefault("usage", {"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0})
    recorded["calls"] += usage.calls
    recorded["input_tokens"] += usage.input_tokens
    recorded["output_tokens"] += usage.output_tokens
    recorded["cost_usd"] = round(recorded["cost_usd"] + usage.cost_usd(), 6)


@transaction.atomic
def integrity_record(*, conn: Connection, kind: str, ref: str | None = None) -> Outcome:
    assessment = _latest_attempt_locked(conn=conn)
    if assessment is None:
        raise ApplicationError("no_active_assessment", "Integrity events belong to a running attempt.")
    _check_epoch(assessment=assessment, conn=conn)
    expired = _expire_if_due(assessment=assessment, now=timezone.now())
    if expired:
        return Outcome(messages=[expired], assessment_id=assessment.pk, finished=True)
    if assessment.status != Assessment.Status.IN_PROGRESS:
        raise ApplicationError("no_active_assessment", "Integrity events belong to a running attempt.")
    IntegrityEvent.objects.create(assessment=assessment, kind=kind)
    return Outcome(messages=[p.server_message("ack", p.Ack(), ref=ref)])


# ---------------------------------------------------------------- server-side actions


@transaction.atomic
def assessment_expire_if_due(*, assessment_id: int) -> bool:
    """Finalize one attempt if its deadline has passed. True when this call ended it."""
    assessment = (
        Assessment.objects.select_for_update(of=("self",)).select_related("test").filter(pk=assessment_id).first()
    )
    return assessment is not None and _expire_if_due(assessment=assessment, now=timezone.now()) is not None


def assessments_expire_due(*, now: datetime | None = None) -> list[int]:
    """Finalize every running attempt past its deadline, each in its own transaction."""
    due = Assessment.objects.filter(status=Assessment.Status.IN_PROGRESS, deadline_at__lte=now or timezone.now())
    return [pk for pk in due.values_list("pk", flat=True) if assessment_expire_if_due(assessment_id=pk)]


@transaction.atomic
def assessment_extend(*, assessment_id: int, minutes: int) -> Assessment:
    """Move a running attempt's deadline by `minutes`; the candidate hears `time_extended` at once."""
    if minutes <= 0:
        raise ApplicationError("invalid_minutes", "Extend by a positive number of minutes.")
    assessment = (
        Assessment.objects.select_for_update(of=("self",)).select_related("test").filter(pk=assessment_id).first()
    )
    if assessment is None:
        raise ApplicationError("assessment_not_found", f"Assessment {assessment_id} does not exist.", status=404)
    now = timezone.now()
    _expire_if_due(assessment=assessment, now=now)
    if assessment.status != Assessment.Status.IN_PROGRESS:
        raise ApplicationError("assessment_finished", "Only a running attempt can be extended.", status=409)
    assessment.deadline_at += timedelta(minutes=minutes)
    _deadline_moved(assessment=assessment, now=now)
    return assessment


@transaction.atomic
def assessment_terminate(*, assessment_id: int, reason: str) -> Assessment:
    """A recruiter ends a running attempt; the candidate hears `assessment_completed` (terminated) at once."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError("reason_required", "Say why the attempt is terminated.")
    assessment = (
        Assessment.objects.select_for_update(of=("self",)).select_related("test").filter(pk=assessment_id).first()
    )
    if assessment is None:
        raise ApplicationError("assessment_not_found", f"Assessment {assessment_id} does not exist.", status=404)
    now = timezone.now()
    _expire_if_due(assessment=assessment, now=now)
    if assessment.status != Assessment.Status.IN_PROGRESS:
        raise ApplicationError("assessment_finished", "Only a running attempt can be terminated.", status=409)
    assessment.ai_state["termination_reason"] = reason
    message = _finalize(assessment=assessment, status=Assessment.Status.TERMINATED, reason="terminated", now=now)
    assessment.save(update_fields=["ai_state"])
    event_push_to_candidate(assessment=assessment, message=message)
    return assessment


def deadline_for(*, test: Test, started_at: datetime, time_multiplier: float) -> datetime:
    """started_at + time limit times the accommodation, capped at the test's closing time."""
    deadline = started_at + timedelta(minutes=test.time_limit_minutes * time_multiplier)
    return min(deadline, test.closes_at) if test.closes_at else deadline


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
    now = timezone.now()
    if _expire_if_due(assessment=running, now=now):
        return
    # Move the deadline by the difference only, so any extension already granted is kept.
    running.deadline_at += timedelta(minutes=running.test.time_limit_minutes * (time_multiplier - previous))
    if running.test.closes_at:
        running.deadline_at = min(running.deadline_at, running.test.closes_at)
    _deadline_moved(assessment=running, now=now)


def _deadline_moved(*, assessment: Assessment, now: datetime) -> None:
    """Save a running attempt's new deadline; its candidate hears `time_extended` after commit."""
    assessment.save(update_fields=["deadline_at"])
    data = p.TimeExtended(
        deadline=assessment.deadline_at,
        time_remaining_seconds=seconds_left(deadline=assessment.deadline_at, now=now),
        server_time=now,
    )
    event_push_to_candidate(
        assessment=assessment, message=event_append(assessment=assessment, message_type="time_extended", data=data)
    )
