"""Which questions a regrade voided: they count neither in the score nor in the max_score
(`assessments.scoring`), nor in θ. Every reader of the void set starts from `void_regrades`. And
what a regrade's audit record tells about the attempts it changed."""

from django.db.models import QuerySet

from assessments.models import Question, QuestionRegrade


def void_regrades() -> QuerySet[QuestionRegrade]:
    return QuestionRegrade.objects.filter(action=QuestionRegrade.Action.VOID)


def blueprint_voided_question_ids(*, test_id: int) -> set[int]:
    return set(void_regrades().filter(question__test_id=test_id).values_list("question_id", flat=True))


def question_is_void(*, question: Question) -> bool:
    return void_regrades().filter(question=question).exists()


def regrade_abilities_changed(*, record: QuestionRegrade) -> int:
    """How many attempts the regrade gave another θ or SE (overall or of a skill), from its `changes`;
    records from before regrades re-estimated θ count none."""
    return sum(
        1
        for change in record.changes or []
        if (change.get("old") or {}).get("ability") != (change.get("new") or {}).get("ability")
    )
