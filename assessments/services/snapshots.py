"""What the candidate is shown of an attempt: the question on screen, the snapshot on (re)connecting,
and the payloads of `assessment_started` and `assessment_completed`.

Built from the attempt's row, its working state and the cached bank: a snapshot costs a statement
only for announcements sent since the attempt began, or when the candidate has chatted.
"""

from datetime import datetime

from assessments import messages as msg
from assessments.clock import seconds_left
from assessments.models import Assessment, Question, Test
from assessments.selectors.bank import Bank, bank_for
from assessments.selectors.visibility import candidate_result_fields
from assessments.services.progress import Asked, Progress, progress_of

SNAPSHOT_ANNOUNCEMENTS = 10


def question_payload(*, assessment: Assessment, asked: Asked, bank: Bank, now: datetime) -> msg.QuestionSnapshot:
    """The question as the candidate sees it: shuffled options, no key, no explanation."""
    item = bank.items[asked.question_id]
    multiple = item.kind == Question.Kind.MULTIPLE
    return msg.QuestionSnapshot(
        question_id=item.pk,
        position=asked.position,
        total=assessment.max_score,
        prompt=item.prompt,
        options=[item.options[i] for i in asked.option_order],
        skill=bank.skills[item.skill_id].name,
        difficulty=item.difficulty,
        time_remaining_seconds=seconds_left(deadline=assessment.deadline_at, now=now),
        kind=Question.Kind.MULTIPLE if multiple else Question.Kind.SINGLE,
        scoring=assessment.test.multi_select_scoring if multiple else None,
    )


def current_question(*, assessment: Assessment, progress: Progress, now: datetime) -> msg.QuestionSnapshot | None:
    current = progress.current
    if current is None:
        return None
    return question_payload(assessment=assessment, asked=current, bank=bank_for(test=assessment.test), now=now)


def completed_data(assessment: Assessment) -> msg.AssessmentCompleted:
    return msg.AssessmentCompleted(
        assessment_id=assessment.pk,
        status=assessment.status,
        reason=assessment.end_reason,
        **candidate_result_fields(assessment=assessment),
    )


def started_data(*, assessment: Assessment, resumed: bool, now: datetime) -> msg.AssessmentStarted:
    return msg.AssessmentStarted(
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


def attempt_snapshot(*, assessment: Assessment, now: datetime) -> msg.AssessmentSnapshot:
    running = assessment.status == Assessment.Status.IN_PROGRESS
    progress = progress_of(assessment=assessment)
    return msg.AssessmentSnapshot(
        assessment_id=assessment.pk,
        test_id=assessment.test_id,
        status=assessment.status,
        attempt=assessment.attempt_number,
        answered=progress.answered,
        total=assessment.max_score,
        deadline=assessment.deadline_at,
        time_remaining_seconds=seconds_left(deadline=assessment.deadline_at, now=now) if running else 0,
        time_limit_seconds=int((assessment.deadline_at - assessment.started_at).total_seconds()),
        current_question=current_question(assessment=assessment, progress=progress, now=now) if running else None,
        last_seq=assessment.last_seq,
        result=None if running else completed_data(assessment).model_dump(mode="json", exclude_none=True),
        announcements=_announcements_since_start(assessment) if running else [],
        chat=_chat_so_far(assessment) if running and progress.chat else [],
        score=assessment.score if running and assessment.test.feedback_mode != Test.FeedbackMode.NONE else None,
    )


def _announcements_since_start(assessment: Assessment) -> list[msg.Announcement]:
    announced = assessment.test.last_announced_at
    if announced is None or announced < assessment.started_at:
        return []
    recent = assessment.test.announcements.filter(created_at__gte=assessment.started_at).order_by("-created_at")
    return [
        msg.Announcement(announcement_id=a.pk, message=a.message, sent_at=a.created_at)
        for a in reversed(recent[:SNAPSHOT_ANNOUNCEMENTS])
    ]


def _chat_so_far(assessment: Assessment) -> list[msg.ChatEntry]:
    return [
        msg.ChatEntry.model_validate({"role": role, "message": content})
        for role, content in assessment.chat_messages.order_by("created_at", "id").values_list("role", "content")
    ]
