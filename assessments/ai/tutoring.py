"""Running one tutor turn: stream the reply through the leak guard, never waiting forever."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from django.conf import settings

from assessments.ai.guard import REFUSAL, AnswerGuard
from assessments.ai.providers import Tutor
from assessments.services.attempts import ChatTurn

logger = logging.getLogger(__name__)

# Text is released only once this many later characters have arrived and been checked too, so a
# leak split across chunks ("the answer is" … "B") is caught before any of it is sent. The holdback
# grows with the longest option, so no part of an option's text streams before it is complete.
HOLDBACK_CHARS = 40
# The guard runs each time this many more characters could be released, not on every token.
RELEASE_STEP_CHARS = 24
# A model that ignores max_tokens is cut off here.
MAX_REPLY_CHARS = 6000
UNAVAILABLE = "The tutor is unavailable right now; please carry on with the question."


async def tutor_reply(
    *, tutor: Tutor, turn: ChatTurn, message: str, on_chunk: Callable[[str], Awaitable[None]]
) -> tuple[str, bool]:
    """The whole reply and whether a leak was blocked; chunks go to `on_chunk` as they are cleared.

    While a question is on screen, streaming stops as soon as the reply points at a second option:
    the rest is held until the whole reply has been checked, so a reply that goes on to rule out
    every other option ("not Stack… not Queue… not Heap") is blocked before any of that is sent.
    """
    guard = None
    if turn.correct_index is not None:
        guard = AnswerGuard(
            options=turn.options, correct_index=turn.correct_index, question_prompt=turn.context.question_prompt
        )
    holdback = max([HOLDBACK_CHARS, *(len(option) + 8 for option in turn.options)])
    text, released, holding = "", 0, False
    try:
        async with asyncio.timeout(settings.JATAYU_AI_TIMEOUT_SECONDS * 2):
            async for delta in tutor.stream(context=turn.context, message=message):
                text += delta
                if len(text) >= MAX_REPLY_CHARS:
                    text = text[:MAX_REPLY_CHARS]
                    break
                clear_to = len(text) - holdback
                if holding or clear_to - released < RELEASE_STEP_CHARS:
                    continue
                if guard is not None:
                    if guard.leaks(text):
                        return REFUSAL, True
                    if guard.options_mentioned(text) > 1:
                        holding = True
                        continue
                await on_chunk(text[released:clear_to])
                released = clear_to
    except Exception:
        logger.warning("tutor %s failed", tutor.name, exc_info=True)
        return UNAVAILABLE, False
    if guard is not None and guard.leaks(text):
        return REFUSAL, True
    if released < len(text):
        await on_chunk(text[released:])
    return text, False
