"""Answering a question: the hottest path, one transaction of at most five statements.

Lock and read the attempt (with its test), mark the response answered, create the next response,
write the answer's events in one insert, and save the attempt's row. The working state and the
cached bank supply everything else; a replayed answer reads its logged events instead.
"""

from datetime import datetime
from typing import Any

from django.db import transaction

from assessments import clock
from assessments import messages as msg
from assessments.clock import seconds_left
from assessments.errors import ApplicationError
from assessments.models import Assessment, Question, Test
from assessments.scoring import is_full_credit, question_credit, running_score
from assessments.selectors.bank import Bank, Item, bank_for
from assessments.services.attempts import (
    FINAL_FIELDS,
    Connection,
    Outcome,
    ask_next,
    attempt_epoch_check,
    attempt_expire_if_due,
    attempt_latest_locked,
    finalize,
)
from assessments.services.events import EventBatch, events_of_response
from assessments.services.progress import Asked, Progress, progress_keep, progress_of
from assessments.services.selection import Abilities, abilities_state, attempt_abilities
from assessments.services.statements import attempt_save, response_answer

Choice = int | str


def _served_index(*, served: list[str], selected: Choice, field: str) -> int:
    if isinstance(selected, int):
        if not 0 <= selected < len(served):
            raise ApplicationError(msg.ErrorCode.INVALID_OPTION, f"{field} must be between 0 and {len(served) - 1}.")
        return selected
    if selected in served:
        return served.index(selected)
    raise ApplicationError(msg.ErrorCode.INVALID_OPTION, f"{field} matches none of this question's options.")


def _chosen(
    *, item: Item, asked: Asked, selected_option: Choice | None, selected_options: list[Choice] | None
) -> list[int]:
    """The options chosen, as indices into the item's options: one for a single question, one or more
    (each once) for a multiple one. The wrong shape for the question is `invalid_option`."""
    served = [item.options[i] for i in asked.option_order]
    if item.kind != Question.Kind.MULTIPLE:
        if selected_option is None or selected_options is not None:
            raise ApplicationError(
                msg.ErrorCode.INVALID_OPTION, "This question takes one answer: send selected_option."
            )
        return [asked.option_order[_served_index(served=served, selected=selected_option, field="selected_option")]]
    if selected_options is None or selected_option is not None:
        raise ApplicationError(
            msg.ErrorCode.INVALID_OPTION, "This question takes several answers: send selected_options, a list."
        )
    if not selected_options:
        raise ApplicationError(msg.ErrorCode.INVALID_OPTION, "selected_options must name at least one option.")
    indices = [_served_index(served=served, selected=choice, field="selected_options") for choice in selected_options]
    if len(set(indices)) != len(indices):
        raise ApplicationError(msg.ErrorCode.INVALID_OPTION, "selected_options names an option more than once.")
    return sorted(asked.option_order[i] for i in indices)


def _ability_update(*, assessment: Assessment, abilities: Abilities, bank: Bank) -> bool:
    """Keep θ and its SE, overall and per skill, in ai_state; True when the SE target is met for every skill."""
    _, per_skill = abilities
    assessment.ai_state["ability"] = abilities_state(abilities=abilities, bank=bank)
    target = assessment.test.se_target
    if target is None:
        return False
    return set(per_skill) >= set(bank.skills) and all(a.se <= target for a in per_skill.values())


class _ReadTooEarly(Exception):
    """What this transaction read no longer holds: the test's bank changed while it waited for the
    attempt's lock (the joined test row is as of the statement's start), or the working state
    disagrees with the responses. Rolled back and run once more, reading the state from the rows."""


def answer_submit(
    *,
    conn: Connection,
    question_id: int,
    selected_option: Choice | None = None,
    selected_options: list[Choice] | None = None,
    ref: str | None = None,
) -> Outcome:
    """Record an answer once. A repeat (same id, or a question already answered) gets the original outcome.

    A single question takes `selected_option`, a multiple one `selected_options`: served indices or
    option texts.
    """
    answer = {"selected_option": selected_option, "selected_options": selected_options}
    try:
        return _answer_submit(conn=conn, question_id=question_id, answer=answer, ref=ref)
    except _ReadTooEarly:
        return _answer_submit(conn=conn, question_id=question_id, answer=answer, ref=ref, rebuild=True)


@transaction.atomic
def _answer_submit(
    *, conn: Connection, question_id: int, answer: dict[str, Any], ref: str | None, rebuild: bool = False
) -> Outcome:
    now = clock.now()
    assessment = attempt_latest_locked(conn=conn)
    if assessment is None:
        raise ApplicationError(msg.ErrorCode.NO_ACTIVE_ASSESSMENT, "Start the assessment first (start_assessment).")
    if rebuild:
        assessment.progress = {}
    progress = progress_of(assessment=assessment)
    asked = progress.find(question_id)
    if asked is None:
        raise ApplicationError(msg.ErrorCode.NOT_IN_ASSESSMENT, f"Question {question_id} is not part of this attempt.")
    if asked.answered:
        return Outcome(messages=events_of_response(response_id=asked.response_id), assessment_id=assessment.pk)
    attempt_epoch_check(assessment=assessment, conn=conn)
    expired = attempt_expire_if_due(assessment=assessment, now=now)
    if expired:
        error = msg.error_message("assessment_expired", "Time is up; this answer was not recorded.", ref=ref)
        return Outcome(messages=[error, expired], assessment_id=assessment.pk, finished=True)
    if assessment.status != Assessment.Status.IN_PROGRESS:
        raise ApplicationError(
            msg.ErrorCode.ASSESSMENT_FINISHED, "This attempt has ended; answers are no longer accepted."
        )

    bank = bank_for(test=assessment.test)
    item = bank.items[question_id]
    chosen = _chosen(item=item, asked=asked, **answer)
    credit = question_credit(
        kind=item.kind, correct=item.key, chosen=chosen, policy=assessment.test.multi_select_scoring
    )
    _answer_record(
        asked=asked,
        progress=progress,
        chosen=chosen,
        credit=credit,
        item=item,
        ref=ref,
        now=now,
        round_trip_ms=conn.round_trip_ms,
    )
    assessment.score = running_score(credit=progress.credit(), voided=bank.voided)
    return _after_answer(assessment=assessment, progress=progress, bank=bank, item=item, asked=asked, now=now, ref=ref)


def _answer_record(
    *,
    asked: Asked,
    progress: Progress,
    chosen: list[int],
    credit: float,
    item: Item,
    ref: str | None,
    now: datetime,
    round_trip_ms: int | None,
) -> None:
    """Mark the response answered (one UPDATE) and the working state with it, with the connection's
    last measured round trip (the response-time signals take it off the server's time)."""
    # An id the client already used for another answer is not stored twice (the unique index would
    # refuse the answer); the answer is still recorded, and replayed by its question.
    kept_ref = ref if ref and not progress.ref_taken(ref) else None
    asked.answered, asked.correct, asked.credit, asked.ref = True, is_full_credit(credit), credit, kept_ref
    multiple = item.kind == Question.Kind.MULTIPLE
    recorded = response_answer(
        response_id=asked.response_id,
        values={
            "selected_option": chosen[0],  # a multiple answer's lowest: readers of one choice still see one
            "selected_options": chosen if multiple else None,
            "is_correct": asked.correct,
            "credit": credit,
            "answered_at": now,
            "time_taken_ms": int((now - asked.asked_at).total_seconds() * 1000),
            "round_trip_ms": round_trip_ms,
            "client_msg_id": kept_ref,
        },
    )
    if recorded != 1:
        raise _ReadTooEarly


def _after_answer(
    *,
    assessment: Assessment,
    progress: Progress,
    bank: Bank,
    item: Item,
    asked: Asked,
    now: datetime,
    ref: str | None,
) -> Outcome:
    """Feedback, progress, and the next question or the result: logged in one insert, saved in one update."""
    mode = assessment.test.feedback_mode
    feedback = msg.AnswerFeedback(question_id=item.pk, accepted=True)
    multiple = item.kind == Question.Kind.MULTIPLE
    if mode in (Test.FeedbackMode.CORRECTNESS, Test.FeedbackMode.FULL):
        feedback.correct = asked.correct
        feedback.credit = asked.earned if multiple else None
    if mode == Test.FeedbackMode.FULL:
        if multiple:
            feedback.correct_options = sorted(asked.option_order.index(i) for i in item.key)
        else:
            feedback.correct_option = asked.option_order.index(item.correct_option)
        feedback.explanation = item.explanation
    answered = progress.answered
    abilities = attempt_abilities(progress=progress, bank=bank)
    precise_enough = _ability_update(assessment=assessment, abilities=abilities, bank=bank)
    update = msg.ProgressUpdate(
        answered=answered,
        total=assessment.max_score,
        percentage_complete=round(100.0 * answered / assessment.max_score, 1) if assessment.max_score else 100.0,
        time_remaining_seconds=seconds_left(deadline=assessment.deadline_at, now=now),
        score=assessment.score if mode != Test.FeedbackMode.NONE else None,
    )
    events = EventBatch(assessment)
    messages = [
        events.add("answer_feedback", feedback, ref=ref, response_id=asked.response_id),
        events.add("progress_update", update, ref=ref, response_id=asked.response_id),
    ]
    following = None
    in_grace = now >= assessment.deadline_at  # the answer sent at time-up: recorded, and the attempt ends
    if answered < assessment.max_score and not precise_enough and not in_grace:
        following = ask_next(
            assessment=assessment,
            progress=progress,
            bank=bank,
            events=events,
            now=now,
            ref=ref,
            answered=asked,
            abilities=abilities,
        )
    fields = ["score", "last_seq", "progress", "ai_state"]
    if following is None:
        reason, done = "all_answered", Assessment.Status.COMPLETED
        if in_grace and answered < assessment.max_score:
            reason, done = "time_up", Assessment.Status.TIMED_OUT
        elif precise_enough and answered < assessment.max_score:
            # The ability is measured precisely enough: the attempt is scored on what was asked.
            reason, assessment.max_score = "precision_reached", answered
        messages.append(
            finalize(assessment=assessment, status=done, reason=reason, now=now, events=events, ref=ref, answered=asked)
        )
        fields = [*FINAL_FIELDS, "last_seq", "progress"]
    else:
        messages.append(following)
    events.write()
    progress_keep(assessment=assessment, progress=progress)
    # Saved only if the bank the answer was graded with is still the test's (no extra statement).
    saved = attempt_save(assessment=assessment, fields=fields, bank_version=assessment.test.bank_version)
    if saved != 1:
        raise _ReadTooEarly
    if following is None:
        return Outcome(messages=messages, assessment_id=assessment.pk, finished=True)
    return Outcome(messages=messages, assessment_id=assessment.pk, deadline=assessment.deadline_at)
