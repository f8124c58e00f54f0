"""An attempt's working state, kept in `Assessment.progress` and changed only under the attempt's row lock.

It holds what was asked and answered, in order, and how many chat messages the candidate sent, so an
answer, a reconnect or a pick of the next item reads the attempt's one row (and the cached bank)
instead of every response. The responses stay the record; the state is rebuilt from them whenever
it is missing (attempts that began before it existed).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from assessments.models import Assessment, ChatMessage

VERSION = 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@dataclass
class Asked:
    """One question of the attempt: which item, its response row, the order its options were served in."""

    question_id: int
    response_id: int
    position: int
    option_order: list[int]
    asked_at: datetime
    answered: bool = False
    correct: bool | None = None
    ref: str | None = None  # the client id the answer came with, as stored on the response
    credit: float | None = None  # what the answer earned (`scoring.question_credit`)

    @property
    def earned(self) -> float:
        """The answer's credit: 1 or 0 for state kept before partial credit existed."""
        if self.credit is not None:
            return self.credit
        return 1.0 if self.correct else 0.0

    # Stored as a short list, not a dict: the state is rewritten with every answer. The credit is
    # stored only when it is partial; a right answer earned 1, a wrong one 0.
    def as_json(self) -> list[Any]:
        answer: list[Any] | None = None if not self.answered else [self.correct, self.ref]
        if answer is not None and self.earned != (1.0 if self.correct else 0.0):
            answer.append(self.earned)
        asked_us = (self.asked_at - EPOCH) // MICROSECOND
        return [self.question_id, self.response_id, self.position, self.option_order, asked_us, answer]

    @classmethod
    def from_json(cls, raw: list[Any]) -> "Asked":
        question_id, response_id, position, order, asked_us, answer = raw
        return cls(
            question_id=question_id,
            response_id=response_id,
            position=position,
            option_order=list(order),
            asked_at=EPOCH + asked_us * MICROSECOND,
            answered=answer is not None,
            correct=answer[0] if answer is not None else None,
            ref=answer[1] if answer is not None else None,
            credit=None if answer is None else answer[2] if len(answer) > 2 else 1.0 if answer[0] else 0.0,
        )


@dataclass
class Progress:
    items: list[Asked] = field(default_factory=list)
    chat: int = 0  # messages the candidate sent to the tutor in this attempt

    @property
    def current(self) -> Asked | None:
        """The question on screen: the one asked and not yet answered (there is at most one)."""
        return next((item for item in self.items if not item.answered), None)

    @property
    def answered(self) -> int:
        return sum(1 for item in self.items if item.answered)

    def asked_ids(self) -> set[int]:
        return {item.question_id for item in self.items}

    def find(self, question_id: int) -> Asked | None:
        return next((item for item in self.items if item.question_id == question_id), None)

    def credit(self) -> dict[int, float]:
        """What each answered question earned, by question id."""
        return {item.question_id: item.earned for item in self.items if item.answered}

    def ref_taken(self, ref: str) -> bool:
        return any(item.ref == ref for item in self.items)

    def as_json(self) -> dict[str, Any]:
        return {"v": VERSION, "items": [item.as_json() for item in self.items], "chat": self.chat}


def progress_of(*, assessment: Assessment) -> Progress:
    """The attempt's working state; rebuilt from its rows (two statements) when it has none yet."""
    known: Progress | None = getattr(assessment, "_progress", None)
    if known is not None:
        return known
    raw = assessment.progress
    if raw.get("v") == VERSION:
        progress = Progress(items=[Asked.from_json(item) for item in raw["items"]], chat=raw.get("chat", 0))
    else:
        progress = _progress_rebuild(assessment=assessment)
    assessment._progress = progress  # type: ignore[attr-defined]
    return progress


def _progress_rebuild(*, assessment: Assessment) -> Progress:
    responses = assessment.responses.order_by("position").values_list(
        "question_id",
        "pk",
        "position",
        "option_order",
        "asked_at",
        "answered_at",
        "is_correct",
        "client_msg_id",
        "credit",
    )
    items = [
        Asked(
            question_id=question_id,
            response_id=pk,
            position=position,
            option_order=list(order),
            asked_at=asked_at,
            answered=answered_at is not None,
            correct=correct,
            ref=ref,
            credit=credit if credit is not None or answered_at is None else 1.0 if correct else 0.0,
        )
        for question_id, pk, position, order, asked_at, answered_at, correct, ref, credit in responses
    ]
    chat = assessment.chat_messages.filter(role=ChatMessage.Role.CANDIDATE).count()
    return Progress(items=items, chat=chat)


def progress_keep(*, assessment: Assessment, progress: Progress) -> None:
    """Put the state back on the attempt; the caller saves `progress` with its other fields."""
    assessment.progress = progress.as_json()
    assessment._progress = progress  # type: ignore[attr-defined]
