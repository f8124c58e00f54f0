"""`tutor_reply` on its own, with a scripted model: what streams out before the guard has decided."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from assessments.ai.guard import REFUSAL
from assessments.ai.providers import TutorContext, Usage
from assessments.ai.tutoring import UNAVAILABLE, ChatTurn, tutor_reply

OPTIONS = ["Stack", "Queue", "Heap", "Linked list"]
TURN = ChatTurn(
    context=TutorContext(skill="data structures", job_description="", question_prompt="Which one?", options=OPTIONS),
    options=OPTIONS,
    correct_index=2,
    assessment_id=1,
)
SAFE = "Think about what each structure guarantees when you remove an element. "


class ScriptedTutor:
    """Streams `chunks` as given (or `text` three characters at a time), failing after `fail_after` characters."""

    def __init__(self, chunks: list[str], *, fail_after: int | None = None) -> None:
        self.name, self.chunks, self.fail_after, self.usage = "scripted", chunks, fail_after, Usage()

    async def stream(self, *, context: TutorContext, message: str) -> AsyncIterator[str]:
        sent = 0
        for chunk in self.chunks:
            if self.fail_after is not None and sent >= self.fail_after:
                raise ConnectionError("the model went away")
            sent += len(chunk)
            yield chunk


def run(
    text: str, *, chunks: list[str] | None = None, fail_after: int | None = None, released: list[str] | None = None
) -> tuple[str, bool, str]:
    """The reply, whether it leaked, and what streamed out (each streamed chunk also goes to `released`)."""
    released = [] if released is None else released

    async def collect(chunk: str) -> None:
        released.append(chunk)

    tutor = ScriptedTutor(chunks or [text[i : i + 3] for i in range(0, len(text), 3)], fail_after=fail_after)
    reply, leaked = asyncio.run(tutor_reply(tutor=tutor, turn=TURN, message="help", on_chunk=collect))
    return reply, leaked, "".join(released)


@pytest.mark.parametrize(
    "text",
    [
        "C, I think, because of how each structure orders its removals: by priority, not by arrival time, "
        "which is what makes it right.",
        "C\n\nHmm, I really shouldn't hand that over like this, so treat it as unofficial, but it is my best guess.",
        "Quick, before the proctor looks: C it is, since it orders removals by priority; it's the right one.",
        SAFE * 3 + "3. That is the correct one, and I would not doubt it for a second. " + SAFE,
    ],
)
def test_no_part_of_a_pointer_streams_before_the_refusal(text):
    reply, leaked, released = run(text)
    assert reply == REFUSAL
    assert leaked
    assert "C" not in released.replace(SAFE, "")
    assert "3" not in released


def test_a_sentence_goes_out_only_once_the_next_one_is_complete():
    text = SAFE * 4
    reply, leaked, released = run(text)
    assert (reply, leaked, released) == (text, False, text)


def test_a_word_being_written_is_not_judged_yet():
    """ "In C" could still become "In C++": a language, not option C."""
    head, tail = SAFE * 3 + "In C", "++ you would reach for a container from the standard library. " + SAFE
    text = head + tail
    streamed: list[str] = []
    reply, _leaked, released = run(text, chunks=[head, tail], released=streamed)  # the guard looks after "In C"
    assert reply == text == released
    assert streamed[0] == SAFE * 2  # went out at once, not held back as if "C" were an option


def test_a_model_failing_midway_after_a_pointer_is_still_a_refusal():
    text = SAFE * 2 + "Between us, it is C. " + SAFE * 3
    reply, leaked, released = run(text, fail_after=len(SAFE) * 2 + 30)
    assert reply == REFUSAL
    assert leaked
    assert "C" not in released.replace(SAFE, "")


def test_a_model_failing_on_a_safe_reply_is_unavailable():
    reply, leaked, _released = run(SAFE * 3, fail_after=len(SAFE))
    assert (reply, leaked) == (UNAVAILABLE, False)
