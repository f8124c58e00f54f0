"""Finished and running attempts with their records, for the back-office tests."""

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.utils import timezone

from assessments.models import (
    Assessment,
    AssessmentEvent,
    CandidateApplication,
    ChatMessage,
    IntegrityEvent,
    Question,
    Response,
    Test,
)
from assessments.tests.factories import AssessmentFactory, UserFactory

XSS = '<script>alert("jatayu-xss")</script>'
XSS_ESCAPED = "&lt;script&gt;alert(&quot;jatayu-xss&quot;)&lt;/script&gt;"


def wrong_option(question: Question) -> int:
    return next(i for i in range(len(question.options)) if i != question.correct_option)


def attempt_with_answers(
    *,
    test: Test,
    answers: Mapping[Question, bool | None],
    candidate: Any = None,
    status: str = Assessment.Status.COMPLETED,
    minutes: float = 10,
    max_score: int | None = None,
    option_order: list[int] | None = None,
    started_ago: timedelta | None = None,
    **fields: Any,
) -> Assessment:
    """An attempt that was asked `answers` in order: True right, False wrong, None asked but unanswered.

    Finished attempts are scored as `_finalize` does; running ones keep their running score.
    """
    candidate = candidate or UserFactory.create()
    application, _ = CandidateApplication.objects.get_or_create(
        test=test, candidate=candidate, defaults={"status": CandidateApplication.Status.SHORTLISTED}
    )
    fields.setdefault("attempt_number", Assessment.objects.filter(test=test, candidate=candidate).count() + 1)
    started = timezone.now() - (started_ago or timedelta(minutes=minutes + 1))
    finished = status != Assessment.Status.IN_PROGRESS
    assessment = AssessmentFactory.create(
        test=test,
        candidate=candidate,
        application=application,
        status=status,
        started_at=started,
        deadline_at=started + timedelta(minutes=test.time_limit_minutes),
        ended_at=started + timedelta(minutes=minutes) if finished else None,
        max_score=max_score if max_score is not None else len(answers),
        **fields,
    )
    score = 0
    for position, (question, right) in enumerate(answers.items(), start=1):
        asked = started + timedelta(seconds=position * 10)
        selected = None if right is None else (question.correct_option if right else wrong_option(question))
        Response.objects.create(
            assessment=assessment,
            question=question,
            position=position,
            option_order=option_order or list(range(len(question.options))),
            asked_at=asked,
            answered_at=None if right is None else asked + timedelta(seconds=7),
            selected_option=selected,
            is_correct=right,
            credit=None if right is None else float(right),
            time_taken_ms=None if right is None else 7000 + position,
        )
        score += int(bool(right))
    assessment.score = score
    if finished:
        assessment.percentage_score = round(100.0 * score / assessment.max_score, 2) if assessment.max_score else 0.0
        assessment.passed = assessment.percentage_score >= test.pass_percentage
        assessment.end_reason = assessment.end_reason or "all_answered"
    assessment.save()
    return assessment


def attempt_with_record(*, test: Test, question: Question, candidate: Any = None, chat: str = "hello") -> Assessment:
    """A finished attempt with one answered question, a chat exchange, an integrity event and its event log."""
    assessment = attempt_with_answers(
        test=test, answers={question: True}, candidate=candidate, option_order=[2, 0, 3, 1]
    )
    ChatMessage.objects.create(assessment=assessment, role=ChatMessage.Role.CANDIDATE, content=chat)
    ChatMessage.objects.create(assessment=assessment, role=ChatMessage.Role.TUTOR, content=f"Tutor says: {chat}")
    IntegrityEvent.objects.create(assessment=assessment, kind=IntegrityEvent.Kind.PASTE)
    served = [question.options[i] for i in (2, 0, 3, 1)]
    AssessmentEvent.objects.create(
        assessment=assessment,
        seq=1,
        type="question",
        payload={
            "type": "question",
            "seq": 1,
            "data": {"question_id": question.pk, "prompt": question.prompt, "options": served},
        },
    )
    AssessmentEvent.objects.create(
        assessment=assessment,
        seq=2,
        type="system_message",
        payload={"type": "system_message", "seq": 2, "data": {"message": f"Tutor says: {chat}"}},
    )
    return assessment


def first_question(test: Test) -> Question:
    question = test.questions.order_by("id").first()
    assert question is not None, f"test {test.pk} has no question"
    return question
