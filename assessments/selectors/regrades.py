"""Which questions a regrade voided: they count neither in the score nor in the max_score."""

from assessments.models import Question, QuestionRegrade


def blueprint_voided_question_ids(*, test_id: int) -> set[int]:
    return set(
        QuestionRegrade.objects.filter(question__test_id=test_id, action=QuestionRegrade.Action.VOID).values_list(
            "question_id", flat=True
        )
    )


def question_is_void(*, question: Question) -> bool:
    return QuestionRegrade.objects.filter(question=question, action=QuestionRegrade.Action.VOID).exists()
