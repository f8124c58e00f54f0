"""Running one tutor turn: stream the reply through the leak guard, never waiting forever."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from django.conf import settings

from assessments.ai.guard import REFUSAL, reply_leaks
from assessments.ai.providers import Tutor
from assessments.services.attempts import ChatTurn

logger = logging.getLogger(__name__)

# Text is released to the candidate only once this many later characters have arrived and been
# checked too, so a leak split across chunks ("the answer is" … "B") is caught before it is sent.
HOLDBACK_CHARS = 40
UNAVAILABLE = "The tutor is unavailable right now; please carry on with the question."


async def tutor_reply(
    *, tutor: Tutor, turn: ChatTurn, message: str, on_chunk: Callable[[str], Awaitable[None]]
) -> tuple[str, bool]:
    """The whole reply and whether a leak was blocked; chunks go to `on_chunk` as they are cleared."""
    text, released = "", 0
    try:
        async with asyncio.timeout(settings.JATAYU_AI_TIMEOUT_SECONDS * 2):
            async for delta in tutor.stream(context=turn.context, message=message):
                text += delta
                if turn.correct_index is not None and reply_leaks(
                    text, options=turn.options, correct_index=turn.correct_index
                ):
                    return REFUSAL, True
                if len(text) - HOLDBACK_CHARS > released:
                    await on_chunk(text[released : len(text) - HOLDBACK_CHARS])
                    released = len(text) - HOLDBACK_CHARS
    except Exception:
        logger.warning("tutor %s failed", tutor.name, exc_info=True)
        return UNAVAILABLE, False
    if released < len(text):
        await on_chunk(text[released:])
    return text, False
