"""Running one tutor turn: stream the reply through the guard, never waiting forever."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from assessments.ai.guard import REFUSAL, AnswerGuard, sentence_boundaries
from assessments.ai.providers import Tutor, TutorContext, Verdict

logger = logging.getLogger(__name__)

# Text is released only once this many later characters have arrived and been checked too, so a
# pointer split across chunks ("the answer is" … "B") is caught before any of it is sent. The
# holdback grows with the longest option, so no part of an option's text streams before it is whole.
HOLDBACK_CHARS = 40
# The guard runs each time this many more characters could be released, not on every token.
RELEASE_STEP_CHARS = 24
# A model that ignores max_tokens is cut off here.
MAX_REPLY_CHARS = 6000
UNAVAILABLE = "The tutor is unavailable right now; please carry on with the question."


@dataclass(frozen=True)
class ChatTurn:
    """What the tutor may see (no key), and what the guard needs to check its reply (the key)."""

    context: TutorContext
    options: list[str]
    correct_index: int | None
    assessment_id: int | None
    # Set instead when the attempt on this connection turned out to be past its deadline: the
    # `assessment_completed` to send; no tutor runs and nothing of the message is stored.
    ended: dict[str, Any] | None = None
    # A question with several correct options: the served indices of the others besides `correct_index`.
    other_keys: tuple[int, ...] = ()


def _releasable(starts: list[int], *, length: int, holdback: int) -> int:
    """How much of `text` may go out: never the last complete sentence, nor the one being written.

    The guard reads a verdict in one sentence together with its neighbour ("3. That's the one."), so
    a sentence is sent only once the sentence after it is complete too.
    """
    last_complete_sentence_start = starts[-2] if len(starts) >= 2 else 0
    return min(length - holdback, last_complete_sentence_start)


def _window_start(starts: list[int], released: int) -> int:
    """Where the next check may start: the last released sentence, read again with what follows it.

    Everything before it has been checked with both its neighbours, so each check costs the length of
    a few sentences, not of the whole reply; the whole reply is checked once more at the end.
    """
    return max([0, *(start for start in starts if start < released)])


async def tutor_reply(
    *, tutor: Tutor, turn: ChatTurn, message: str, on_chunk: Callable[[str], Awaitable[None]]
) -> tuple[str, bool]:
    """The reply the candidate gets, and whether a reply pointing at the correct option was blocked.

    While a question is on screen, a reply that points at any option is replaced by the refusal, so
    a refusal tells nothing about the key; chunks go to `on_chunk` only once they have been checked.
    A tutor that can judge (`providers.Judge`) has the whole draft judged as well, by meaning, before
    any of it goes out: see `_judged`.
    """
    guard = None
    if turn.correct_index is not None:
        guard = AnswerGuard(
            options=turn.options,
            correct_index=turn.correct_index,
            question_prompt=turn.context.question_prompt,
            other_keys=turn.other_keys,
        )
    judge = getattr(tutor, "judge", None) if guard is not None else None
    if judge is not None and guard is not None:
        return await _judged(tutor=tutor, judge=judge, guard=guard, turn=turn, message=message, on_chunk=on_chunk)
    holdback = max([HOLDBACK_CHARS, *(len(option) + 8 for option in turn.options)])
    text, released, checked, window, refused = "", 0, 0, 0, False
    try:
        async with asyncio.timeout(settings.JATAYU_AI_TIMEOUT_SECONDS * 2):
            async for delta in tutor.stream(context=turn.context, message=message):
                text = (text + delta)[:MAX_REPLY_CHARS]
                if len(text) >= MAX_REPLY_CHARS:
                    break
                # Once refused, the rest is still read (nothing more is sent) so that what is recorded
                # says whether the whole reply gave the key away.
                if refused or len(text) - holdback - max(released, checked) < RELEASE_STEP_CHARS:
                    continue
                checked = len(text) - holdback
                starts = sentence_boundaries(text) if guard is not None else []
                clear_to = _releasable(starts, length=len(text), holdback=holdback) if guard is not None else checked
                if clear_to - released < RELEASE_STEP_CHARS:
                    continue
                # Up to the last space: the word being written may still become "C++" or "B-tree".
                whole_words = max(text.rfind(" "), clear_to)
                refused = guard is not None and guard.refuses(text[window:whole_words], complete=False)
                if not refused:
                    await on_chunk(text[released:clear_to])
                    released = clear_to
                    window = _window_start(starts, released)
    except Exception:
        logger.warning("tutor %s failed", tutor.name, exc_info=True)
        if guard is not None and guard.refuses(text):
            return REFUSAL, guard.leaks(text)
        return UNAVAILABLE, False
    if guard is not None and guard.refuses(text):
        return REFUSAL, guard.leaks(text)
    if released < len(text):
        await on_chunk(text[released:])
    return text, False


async def _judged(
    *,
    tutor: Tutor,
    judge: Callable[..., Awaitable[Verdict]],
    guard: AnswerGuard,
    turn: ChatTurn,
    message: str,
    on_chunk: Callable[[str], Awaitable[None]],
) -> tuple[str, bool]:
    """Hold the whole reply; the patterns read it, then the judge, who never sees the key. A reply that
    lets a student pick or rule out any option is refused, and so is every reply when the judge
    cannot answer: refusing costs a hint, releasing could cost the test."""
    text = ""
    try:
        async with asyncio.timeout(settings.JATAYU_AI_TIMEOUT_SECONDS * 2):
            async for delta in tutor.stream(context=turn.context, message=message):
                text = (text + delta)[:MAX_REPLY_CHARS]
                if len(text) >= MAX_REPLY_CHARS:
                    break
    except Exception:
        logger.warning("tutor %s failed", tutor.name, exc_info=True)
        return (REFUSAL, guard.leaks(text)) if guard.refuses(text) else (UNAVAILABLE, False)
    if guard.refuses(text):
        return REFUSAL, guard.leaks(text)
    try:
        async with asyncio.timeout(settings.JATAYU_AI_TIMEOUT_SECONDS):
            verdict = await judge(prompt=turn.context.question_prompt or "", options=turn.options, reply=text)
    except Exception:
        logger.warning("the judge of tutor %s failed; the reply is refused", tutor.name, exc_info=True)
        return REFUSAL, False
    if verdict.reveals:
        key = turn.correct_index if turn.correct_index is not None else -1
        keys = (key, *turn.other_keys)
        return REFUSAL, any(verdict.gives_away(key=k, options=len(turn.options)) for k in keys)
    await on_chunk(text)
    return text, False
