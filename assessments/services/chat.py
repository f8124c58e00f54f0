"""The tutor chat of an attempt, and the general chat before one: each turn is two transactions.

`chat_begin` checks the limits and builds what the tutor may see (never the key); the consumer streams
the reply through the guard; `chat_finish` stores both sides and the usage. Nothing of a turn is
stored when the attempt turned out to be over."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from assessments import clock
from assessments import messages as msg
from assessments.ai.providers import TutorContext, Usage
from assessments.ai.tutoring import ChatTurn
from assessments.errors import ApplicationError
from assessments.models import Assessment, ChatMessage, Response, Test
from assessments.selectors.bank import Item, bank_for
from assessments.services.attempts import (
    Connection,
    attempt_epoch_check,
    attempt_expire_if_due,
    attempt_latest_locked,
    usage_record_into,
)
from assessments.services.events import event_append
from assessments.services.progress import progress_keep, progress_of

GENERAL_CONTEXT = TutorContext(skill="general", job_description="", question_prompt=None, options=[])


@transaction.atomic
def chat_begin(*, conn: Connection, message: str, question_id: int | None = None, ref: str | None = None) -> ChatTurn:
    """Store the candidate's message (within the chat limit) and gather the tutor's context.

    With an attempt running on this connection the message counts against the attempt's limit and
    the reply is checked against the question on screen: `question_id` when the client names it (the
    question it shows, which may be one just answered, with its feedback), else the current one.
    Anywhere else it is a general chat.
    """
    assessment = attempt_latest_locked(conn=conn) if conn.test_id is not None else None
    if assessment is not None:
        attempt_epoch_check(assessment=assessment, conn=conn)
        expired = attempt_expire_if_due(assessment=assessment, now=clock.now())
        if expired:
            # Not a general chat now: the message was about the question, and the expiry must commit.
            return ChatTurn(
                context=GENERAL_CONTEXT, options=[], correct_index=None, assessment_id=assessment.pk, ended=expired
            )
    if assessment is None or assessment.status != Assessment.Status.IN_PROGRESS:
        _general_chat_store(user=conn.user, message=message)
        return ChatTurn(context=GENERAL_CONTEXT, options=[], correct_index=None, assessment_id=None)
    used = assessment.chat_messages.filter(role=ChatMessage.Role.CANDIDATE).count()  # the rows decide the limit
    if used >= settings.JATAYU_CHAT_LIMIT:
        raise ApplicationError(
            msg.ErrorCode.CHAT_LIMIT, f"The chat allows {settings.JATAYU_CHAT_LIMIT} messages per attempt."
        )
    open_question = progress_of(assessment=assessment).current
    answered = None
    if question_id is not None and (open_question is None or question_id != open_question.question_id):
        answered = assessment.responses.filter(question_id=question_id, answered_at__isnull=False).first()
        if answered is None:
            raise ApplicationError(
                msg.ErrorCode.NOT_IN_ASSESSMENT, "The tutor can talk only about a question you have been shown."
            )
    ChatMessage.objects.create(assessment=assessment, role=ChatMessage.Role.CANDIDATE, content=message)
    progress = progress_of(assessment=assessment)
    progress.chat = used + 1
    progress_keep(assessment=assessment, progress=progress)
    assessment.save(update_fields=["progress"])
    if answered is not None:
        return _answered_turn(assessment=assessment, response=answered)
    current = progress.current
    if current is None:
        context = TutorContext(
            skill="general", job_description=assessment.test.job_description, question_prompt=None, options=[]
        )
        return ChatTurn(context=context, options=[], correct_index=None, assessment_id=assessment.pk)
    bank = bank_for(test=assessment.test)
    item = bank.items[current.question_id]
    served = [item.options[i] for i in current.option_order]
    context = TutorContext(
        skill=bank.skills[item.skill_id].name,
        job_description=assessment.test.job_description,
        question_prompt=item.prompt,
        options=served,
    )
    return ChatTurn(
        context=context,
        options=served,
        correct_index=current.option_order.index(item.correct_option),
        assessment_id=assessment.pk,
        other_keys=_other_keys(item=item, order=current.option_order),
    )


def _other_keys(*, item: Item, order: list[int]) -> tuple[int, ...]:
    """A question with several correct options: the served indices of those besides `correct_option`,
    which the guard treats as the key just the same."""
    return tuple(order.index(i) for i in item.key if i != item.correct_option)


def _answered_turn(*, assessment: Assessment, response: Response) -> ChatTurn:
    """A question already answered, its feedback on screen: the tutor may say what the feedback says.

    With full feedback that is the correct option and why, so nothing needs guarding; otherwise the
    key stays as secret as while the question was open.
    """
    bank = bank_for(test=assessment.test)
    item = bank.items[response.question_id]
    served = [item.options[i] for i in response.option_order]
    key = response.option_order.index(item.correct_option)
    mode = assessment.test.feedback_mode
    if mode == Test.FeedbackMode.FULL:
        correct = ", ".join(f'"{served[response.option_order.index(i)]}"' for i in item.key)
        told = (
            f"The candidate has answered this question, and the feedback on screen shows the correct "
            f"option{'s' if len(item.key) > 1 else ''}, {correct}, and why: {item.explanation} You may explain it."
        )
    elif mode == Test.FeedbackMode.CORRECTNESS:
        told = (
            "The candidate has answered this question; the feedback on screen says whether they were right, "
            "not which option is. Keep it that way."
        )
    else:
        told = "The candidate has answered this question and was told nothing about their answer. Keep it that way."
    context = TutorContext(
        skill=bank.skills[item.skill_id].name,
        job_description=assessment.test.job_description,
        question_prompt=item.prompt,
        options=served,
        answered=told,
    )
    correct_index = None if mode == Test.FeedbackMode.FULL else key
    return ChatTurn(
        context=context,
        options=served,
        correct_index=correct_index,
        assessment_id=assessment.pk,
        other_keys=() if correct_index is None else _other_keys(item=item, order=response.option_order),
    )


def _general_chat_store(*, user: User, message: str) -> None:
    """A chat outside a running attempt: refused while one runs elsewhere, limited per user per 24 hours.

    The user's row lock makes the count and the insert one step, whichever worker serves the message.
    """
    now = clock.now()
    User.objects.select_for_update().filter(pk=user.pk).first()
    running = Assessment.objects.filter(
        candidate_id=user.pk, status=Assessment.Status.IN_PROGRESS, deadline_at__gt=now
    ).first()
    if running is not None:
        raise ApplicationError(
            msg.ErrorCode.ASSESSMENT_IN_PROGRESS,
            f"Your assessment for test {running.test_id} is running: use the chat on its page, "
            "where the tutor can see the question.",
        )
    limit = settings.JATAYU_GENERAL_CHAT_LIMIT
    used = ChatMessage.objects.filter(
        candidate_id=user.pk, role=ChatMessage.Role.CANDIDATE, created_at__gte=now - timedelta(hours=24)
    ).count()
    if used >= limit:
        raise ApplicationError(msg.ErrorCode.CHAT_LIMIT, f"The general chat allows {limit} messages in 24 hours.")
    ChatMessage.objects.create(candidate=user, role=ChatMessage.Role.CANDIDATE, content=message)


@transaction.atomic
def chat_finish(
    *, conn: Connection, turn: ChatTurn, reply: str, blocked_leak: bool, usage: Usage, ref: str | None = None
) -> dict[str, Any]:
    """Store the tutor's (checked) reply and its cost; log it as the attempt's `system_message`."""
    data = msg.SystemMessage(message=reply)
    if turn.assessment_id is None:
        ChatMessage.objects.create(candidate=conn.user, role=ChatMessage.Role.TUTOR, content=reply)
        return msg.server_message("system_message", data, ref=ref)
    assessment = Assessment.objects.select_for_update().get(pk=turn.assessment_id)
    attempt_epoch_check(assessment=assessment, conn=conn)
    ChatMessage.objects.create(
        assessment=assessment, role=ChatMessage.Role.TUTOR, content=reply, blocked_leak=blocked_leak
    )
    state = assessment.ai_state
    state["blocked_leaks"] = state.get("blocked_leaks", 0) + int(blocked_leak)
    usage_record_into(state=state, usage=usage)
    assessment.save(update_fields=["ai_state"])
    if assessment.status != Assessment.Status.IN_PROGRESS:
        # The attempt ended while the tutor replied: its log is closed (a retake may be counting already).
        return msg.server_message("system_message", data, ref=ref)
    return event_append(assessment=assessment, message_type="system_message", data=data, ref=ref)
