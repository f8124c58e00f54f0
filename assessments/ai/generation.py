"""Generate one item through the validation gate: retry what fails, give up cleanly."""

import logging
from dataclasses import dataclass, field

from django.conf import settings

from assessments.ai.providers import Generated, GenerationRequest, QuestionGenerator, Usage
from assessments.ai.validation import item_validate

logger = logging.getLogger(__name__)


CHECKS = ["2 to 6 options", "options distinct", "key in range", "prompt not empty", "no near-duplicate"]


@dataclass
class GenerationOutcome:
    accepted: Generated | None
    rejections: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)

    def validation_record(self) -> dict[str, object]:
        """What an accepted item passed, for its provenance."""
        checks = [*CHECKS, "independent solver agreed"] if settings.JATAYU_AI_VERIFY else list(CHECKS)
        return {"passed": checks, "rejected_before": self.rejections}


async def item_generate(
    *, generator: QuestionGenerator, request: GenerationRequest, known_prompts: list[str]
) -> GenerationOutcome:
    """Up to JATAYU_AI_GENERATION_ATTEMPTS tries; each reply must pass `item_validate` (and the
    independent solver when JATAYU_AI_VERIFY is on). None accepted means: use the bank."""
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
            prompt=draft.prompt, options=draft.options, correct_option=draft.correct_option, known_prompts=known_prompts
        )
        if not verdict.ok:
            outcome.rejections.append("; ".join(verdict.problems))
            continue
        if settings.JATAYU_AI_VERIFY and not await _solver_agrees(generator, generated):
            outcome.rejections.append("independent solver chose another option")
            continue
        outcome.accepted = generated
        return outcome
    return outcome


async def _solver_agrees(generator: QuestionGenerator, generated: Generated) -> bool:
    try:
        answer = await generator.solve(prompt=generated.draft.prompt, options=generated.draft.options)
    except Exception:
        logger.warning("solver call failed", exc_info=True)
        return False
    return answer == generated.draft.correct_option
