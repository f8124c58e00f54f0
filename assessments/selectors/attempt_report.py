"""One attempt's questions as the candidate saw them, rebuilt from its event log, for the recruiters'
attempt report."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q

from assessments.ai.guard import REFUSAL
from assessments.models import Assessment, AssessmentEvent, ChatMessage, Response
from assessments.selectors.regrades import blueprint_voided_question_ids


@dataclass(frozen=True)
class ServedOption:
    index: int  # in the question's stored options
    text: str
    chosen: bool
    key: bool


@dataclass(frozen=True)
class AskedQuestion:
    response: Response
    prompt: str
    options: list[ServedOption]
    chosen_text: str | None  # the options chosen, joined with " · " when there are several
    key_text: str | None  # the correct options, the same way
    void: bool


def _asked(response: Response, served: dict[str, Any] | None, voided: set[int]) -> AskedQuestion:
    """A response as the candidate saw it: the logged `question` message when there is one (prompt and
    options exactly as sent), else the question now with the response's served order."""
    question = response.question
    options = question.option_list
    order = [i for i in response.option_order if isinstance(i, int) and 0 <= i < len(options)] or list(
        range(len(options))
    )
    texts = [options[i] for i in order]
    prompt = question.prompt
    if served is not None:
        prompt = str(served.get("prompt", prompt))
        sent = served.get("options")
        if isinstance(sent, list) and len(sent) == len(order):
            texts = [str(t) for t in sent]
    picked = set(response.selected_options or []) or {response.selected_option}
    rows = [
        ServedOption(index=i, text=text, chosen=i in picked, key=i in question.key)
        for i, text in zip(order, texts, strict=True)
    ]
    # A question with several correct options: every option chosen, and every correct one, in served order.
    chosen = " · ".join(o.text for o in rows if o.chosen) or None
    key = " · ".join(o.text for o in rows if o.key) or None
    return AskedQuestion(
        response=response, prompt=prompt, options=rows, chosen_text=chosen, key_text=key, void=question.pk in voided
    )


def attempt_questions_as_seen(*, assessment: Assessment, events: Sequence[AssessmentEvent]) -> list[AskedQuestion]:
    """Every response of the attempt, in the order asked, with what was sent for it (`events`: its log)."""
    served = {
        e.payload.get("data", {}).get("question_id"): e.payload.get("data", {})
        for e in events
        if e.type == "question" and isinstance(e.payload, dict)
    }
    voided = blueprint_voided_question_ids(test_id=assessment.test_id)
    responses = assessment.responses.select_related("question__skill").order_by("position")
    return [_asked(r, served.get(r.question_id), voided) for r in responses]


def tutor_refusals_count(*, assessment: Assessment) -> int:
    """The tutor's replies that declined to help toward an option: a request for the answer refused,
    or a draft that would have given it away (a blocked leak)."""
    return (
        assessment.chat_messages.filter(role=ChatMessage.Role.TUTOR)
        .filter(Q(blocked_leak=True) | Q(content=REFUSAL))
        .count()
    )


@dataclass(frozen=True)
class DisconnectCreditShown:
    """Time given back for a lost connection (`services.disconnect_credits`), as its event logged it."""

    seq: int
    seconds: int
    at: datetime  # the server's time of the connect that gave it

    @property
    def duration(self) -> str:
        """`2 min 10 s`, `45 s`, `5 min`."""
        minutes, rest = divmod(self.seconds, 60)
        if not minutes:
            return f"{rest} s"
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def attempt_disconnect_credits(*, events: Iterable[AssessmentEvent]) -> list[DisconnectCreditShown]:
    """Each disconnect credit in the attempt's log (`events`, in seq order): its `time_extended` events
    with reason `disconnected`; a recruiter's extension is not one."""
    credits = []
    for event in events:
        data = event.payload.get("data", {}) if isinstance(event.payload, dict) else {}
        if event.type == "time_extended" and data.get("reason") == "disconnected":
            at = datetime.fromisoformat(str(data["server_time"]))
            credits.append(DisconnectCreditShown(seq=event.seq, seconds=int(data["seconds"]), at=at))
    return credits
