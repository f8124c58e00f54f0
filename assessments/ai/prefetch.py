"""Preparing the next question while the candidate reads the current one."""

import asyncio
import logging

from channels.db import database_sync_to_async

from assessments.ai.generation import item_generate
from assessments.ai.providers import QuestionGenerator, Usage
from assessments.services.generation import preparation_plan, prepared_store

logger = logging.getLogger(__name__)


async def next_question_prepare(*, generator: QuestionGenerator, assessment_id: int) -> list[int]:
    """Generate, validate and store candidates for the next item; returns the stored question ids.

    Failures only mean the bank serves the next question; nothing here is on the candidate's path.
    """
    plan = await database_sync_to_async(preparation_plan)(assessment_id=assessment_id)
    if plan is None:
        return []
    outcomes = await asyncio.gather(
        *(item_generate(generator=generator, request=r, known_prompts=plan.known_prompts) for r in plan.requests)
    )
    usage = Usage()
    for outcome in outcomes:
        usage.merge(outcome.usage)
        if outcome.rejections:
            logger.info("prepared item rejected: %s", "; ".join(outcome.rejections))
    return await database_sync_to_async(prepared_store)(plan=plan, outcomes=list(outcomes), usage=usage)
