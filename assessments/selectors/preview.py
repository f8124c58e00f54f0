"""A recruiter's preview of a test as a candidate sees it: the real selection (content balancing and
adaptivity) driven by the answers given in the preview, with nothing written anywhere. The whole
state is the trail of answers so far, which travels with the page, signed."""

from dataclasses import dataclass, field
from typing import Any

from django.core import signing

from assessments.ai.ability import Ability
from assessments.models import Test
from assessments.selectors.bank import Bank, Item, bank_for
from assessments.services.progress import EPOCH, Asked, Progress
from assessments.services.selection import attempt_abilities, option_order_shuffled, question_pick_next

SALT = "jatayu.preview"


@dataclass
class PreviewState:
    answers: list[tuple[int, bool]] = field(default_factory=list)  # question id, right
    current: tuple[int, list[int]] | None = None  # the question on screen and its option order

    def signed(self) -> str:
        return signing.dumps({"a": self.answers, "c": self.current}, salt=SALT, compress=True)

    @classmethod
    def of(cls, token: str | None) -> "PreviewState":
        """The state a page carried, or a fresh one when there is none or it was tampered with."""
        if not token:
            return cls()
        try:
            raw: dict[str, Any] = signing.loads(token, salt=SALT)
            answers = [(int(q), bool(right)) for q, right in raw["a"]]
            current = None if raw["c"] is None else (int(raw["c"][0]), [int(i) for i in raw["c"][1]])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            return cls()
        return cls(answers=answers, current=current)


def _progress(answers: list[tuple[int, bool]]) -> Progress:
    return Progress(
        items=[
            Asked(
                question_id=q, response_id=0, position=n, option_order=[], asked_at=EPOCH, answered=True, correct=right
            )
            for n, (q, right) in enumerate(answers, start=1)
        ]
    )


def preview_bank(*, test: Test) -> Bank:
    return bank_for(test=test)


def preview_pick(*, test: Test, state: PreviewState) -> PreviewState:
    """The state with the next question on screen, picked as an attempt would; no current question when
    the preview is over (as many questions as the test asks, or the bank has no more)."""
    if state.current is not None or len(state.answers) >= test.total_questions:
        return state
    bank = preview_bank(test=test)
    item = question_pick_next(progress=_progress(state.answers), bank=bank, prepared=set())
    if item is None:
        return state
    return PreviewState(answers=state.answers, current=(item.pk, option_order_shuffled(count=len(item.options))))


def preview_answer(*, test: Test, state: PreviewState, served_index: int) -> tuple[PreviewState, Item, bool]:
    """Answer the question on screen with the option shown at `served_index`: the new state, the item, right."""
    if state.current is None:
        raise ValueError("no question on screen")
    question_id, order = state.current
    item = preview_bank(test=test).items[question_id]
    if not 0 <= served_index < len(order):
        raise ValueError("no such option")
    right = order[served_index] == item.correct_option
    return PreviewState(answers=[*state.answers, (question_id, right)], current=None), item, right


def preview_ability(*, test: Test, state: PreviewState) -> Ability:
    overall, _per_skill = attempt_abilities(progress=_progress(state.answers), bank=preview_bank(test=test))
    return overall
