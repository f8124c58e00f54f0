"""Which questions a regrade voided: they count neither in the score nor in the max_score
(`assessments.scoring`). Every reader of the void set starts from `void_regrades`."""

from django.db.models import QuerySet

from assessments.models import Question, QuestionRegrade


def void_regrades() -> QuerySet[QuestionRegrade]:
    return QuestionRegrade.objects.filter(action=QuestionRegrade.Action.VOID)


def blueprint_voided_question_ids(*, test_id: int) -> set[int]:
    return set(void_regrades().filter(question__test_id=test_id).values_list("question_id", flat=True))


def question_is_void(*, question: Question) -> bool:
    return void_regrades().filter(question=question).exists()
