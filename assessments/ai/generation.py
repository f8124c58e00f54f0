"""Generate one item through the validation gate: retry what fails, give up cleanly."""

import logging
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings

from assessments.ai.providers import (
    Generated,
    GenerationRequest,
    ItemDraft,
    QuestionGenerator,
    Review,
    Usage,
)
from assessments.ai.validation import item_validate

logger = logging.getLogger(__name__)


CHECKS = [
    "2 to 6 options",
    "options distinct and of one kind",
    "key in range",
    "prompt a real question",
    "no near-duplicate",
]
JUDGED_CHECKS = [
    "independent solver agreed",
    "reviewer: about the skill",
    "reviewer: options answer it",
    "reviewer: exactly one right",
    "reviewer: explanation supports the key",
]
# A prompt that copies the schema's wording is no question (small models do this), so it counts as a
# near-duplicate of it.
INSTRUCTION_TEXTS = [f.description or "" for f in ItemDraft.model_fields.values()]
SOLVER_DISAGREES = "independent solver chose another option"
OFF_SKILL = "reviewer: not about the skill"
OPTIONS_MISS = "reviewer: options do not answer the question"
NOT_EXCLUSIVE = "reviewer: options not mutually exclusive"
EXPLAINS_ANOTHER = "reviewer: the explanation supports another option"
UNCHECKED = "judgement unavailable"


@dataclass
class GenerationOutcome:
    accepted: Generated | None
    # One entry per reason, so several reasons for one reply count separately.
    rejections: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    labelled: str = ""  # the difficulty the model gave the accepted item, when not the one asked for

    def validation_record(self) -> dict[str, object]:
        """What an accepted item passed, for its provenance."""
        checks = [*CHECKS, *JUDGED_CHECKS] if settings.JATAYU_AI_VERIFY else list(CHECKS)
        record: dict[str, object] = {"passed": checks, "rejected_before": self.rejections}
        if self.labelled:
            record["model_labelled_difficulty"] = self.labelled
        return record

    def rejection_counts(self) -> Counter[str]:
        return Counter(self.rejections)


async def item_generate(
    *, generator: QuestionGenerator, request: GenerationRequest, known_prompts: list[str]
) -> GenerationOutcome:
    """Up to JATAYU_AI_GENERATION_ATTEMPTS tries; each reply must pass `item_validate` and, when
    JATAYU_AI_VERIFY is on (the default with a model), the model's judgement. None accepted means:
    use the bank."""
    outcome = GenerationOutcome(accepted=None)
    for _ in range(settings.JATAYU_AI_GENERATION_ATTEMPTS):
        try:
            generated = await generator.generate(request)
        except Exception as exc:  # a timeout, a 500, an unparseable reply: all mean "try again"
            logger.warning("question generation failed: %s", type(exc).__name__)
            outcome.rejections.append(f"provider error ({type(exc).__name__})")
            continue
        outcome.usage.merge(generated.usage)
        draft = generated.draft
        verdict = item_validate(
            prompt=draft.prompt,
            options=draft.options,
            correct_option=draft.correct_option,
            known_prompts=[*known_prompts, *INSTRUCTION_TEXTS],
            explanation=draft.explanation,
        )
        problems = verdict.problems or (
            await judged_problems(generator, draft, skill=request.skill, usage=outcome.usage)
        )
        if problems:
            outcome.rejections.extend(problems)
            continue
        # The item was written for the difficulty asked for, and is picked by it; the model's own label
        # is kept in the provenance.
        if draft.difficulty != request.difficulty:
            outcome.labelled, draft.difficulty = draft.difficulty, request.difficulty  # type: ignore[assignment]
        outcome.accepted = generated
        return outcome
    return outcome


async def judged_problems(generator: QuestionGenerator, draft: ItemDraft, *, skill: str, usage: Usage) -> list[str]:
    """What the solver and the reviewer find wrong; neither is told the key. A call that fails
    rejects the item: an unchecked item is not served."""
    if not settings.JATAYU_AI_VERIFY:
        return []
    try:
        answer = await generator.solve(prompt=draft.prompt, options=draft.options, usage=usage)
        review = await generator.review(
            skill=skill, prompt=draft.prompt, options=draft.options, explanation=draft.explanation, usage=usage
        )
    except Exception as exc:
        logger.warning("judging a generated item failed: %s", type(exc).__name__)
        return [UNCHECKED]
    problems = [] if answer == draft.correct_option else [SOLVER_DISAGREES]
    return problems + review_problems(review, key=draft.correct_option)


def review_problems(review: Review, *, key: int) -> list[str]:
    problems = []
    if not review.about_skill:
        problems.append(OFF_SKILL)
    if not review.options_answer_it:
        problems.append(OPTIONS_MISS)
    if not review.one_right:
        problems.append(NOT_EXCLUSIVE)
    if review.explanation_supports != key:
        problems.append(EXPLAINS_ANOTHER)
    return problems
