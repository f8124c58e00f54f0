"""A candidate's review of their own finished attempt, question by question, as far as the test's
feedback mode allows: `full` shows the right answer and the explanation, `correctness` only whether
each answer was right, `none` nothing. A running attempt has no review (it would hand out keys)."""

from typing import Any

from assessments.models import Assessment, AssessmentEvent, Test
from assessments.selectors.attempt_report import attempt_questions_as_seen


def candidate_review(*, assessment: Assessment) -> dict[str, Any]:
    mode = assessment.test.feedback_mode
    if mode == Test.FeedbackMode.NONE or assessment.status == Assessment.Status.IN_PROGRESS:
        return {"feedback_mode": mode, "questions": []}
    events = AssessmentEvent.objects.filter(assessment=assessment, type="question").order_by("seq")
    full = mode == Test.FeedbackMode.FULL
    questions = []
    for asked in attempt_questions_as_seen(assessment=assessment, events=list(events)):
        answered = asked.response.answered_at is not None
        questions.append(
            {
                "position": asked.response.position,
                "prompt": asked.prompt,
                "options": [option.text for option in asked.options],
                "chosen": [n for n, option in enumerate(asked.options) if option.chosen],
                "correct": bool(asked.response.is_correct) if answered else None,
                "credit": asked.response.credit if answered else None,
                "void": asked.void,
                **(
                    {
                        "key": [n for n, option in enumerate(asked.options) if option.key],
                        "explanation": asked.response.question.explanation,
                    }
                    if full
                    else {}
                ),
            }
        )
    return {"feedback_mode": mode, "questions": questions}
