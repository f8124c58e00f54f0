"""A recruiter's preview of a test as a candidate sees it: the real selection (content balancing and
adaptivity) driven by the answers given in the preview, with nothing written anywhere. The whole
state is the trail of answers so far, which travels with the page, signed."""

from dataclasses import dataclass, field
from typing import Any

from django.core import signing

from assessments.ai.ability import Ability
from assessments.models import Question, Test
from assessments.scoring import question_credit
from assessments.selectors.bank import Bank, Item, bank_for
from assessments.services.progress import EPOCH, Asked, Progress
from assessments.services.selection import attempt_abilities, option_order_shuffled, question_pick_next

SALT = "jatayu.preview"
MAX_AGE_SECONDS = 24 * 3600


@dataclass
class PreviewState:
    answers: list[tuple[int, float]] = field(default_factory=list)  # question id, credit earned
    current: tuple[int, list[int]] | None = None  # the question on screen and its option order

    def signed(self, *, test: Test) -> str:
        # Signed for this test alone: another test's state, or this one's from yesterday, starts over.
        return signing.dumps({"a": self.answers, "c": self.current}, salt=f"{SALT}:{test.pk}", compress=True)

    @classmethod
    def of(cls, token: str | None, *, test: Test) -> "PreviewState":
        """The state a page carried, or a fresh one when there is none, it was tampered with, it is
        another test's or too old, or it names a question the bank no longer has."""
        if not token:
            return cls()
        try:
            raw: dict[str, Any] = signing.loads(token, salt=f"{SALT}:{test.pk}", max_age=MAX_AGE_SECONDS)
            answers = [(int(q), float(credit)) for q, credit in raw["a"]]
            current = None if raw["c"] is None else (int(raw["c"][0]), [int(i) for i in raw["c"][1]])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            return cls()
        items = preview_bank(test=test).items
        named = [q for q, _credit in answers] + ([current[0]] if current else [])
        if any(q not in items for q in named):
            return cls()
        return cls(answers=answers, current=current)


def _progress(answers: list[tuple[int, float]]) -> Progress:
    return Progress(
        items=[
            Asked(
                question_id=q,
                response_id=0,
                position=n,
                option_order=[],
                asked_at=EPOCH,
                answered=True,
                correct=credit >= 1.0,
                credit=credit,
            )
            for n, (q, credit) in enumerate(answers, start=1)
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


def preview_answer(*, test: Test, state: PreviewState, served: list[int]) -> tuple[PreviewState, Item, float]:
    """Answer the question on screen with the options shown at `served` (one for a single question):
    the new state, the item, and the credit the test's scoring gives it."""
    if state.current is None or not served:
        raise ValueError("no question on screen, or no option chosen")
    question_id, order = state.current
    item = preview_bank(test=test).items[question_id]
    if any(not 0 <= index < len(order) for index in served) or (item.kind == Question.Kind.SINGLE and len(served) != 1):
        raise ValueError("no such option")
    credit = question_credit(
        kind=item.kind, correct=item.key, chosen=[order[i] for i in served], policy=test.multi_select_scoring
    )
    return PreviewState(answers=[*state.answers, (question_id, credit)], current=None), item, credit


def preview_ability(*, test: Test, state: PreviewState) -> Ability:
    overall, _per_skill = attempt_abilities(progress=_progress(state.answers), bank=preview_bank(test=test))
    return overall
