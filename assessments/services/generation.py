"""Preparing the next question while a candidate reads the current one: plan what to generate,
generate it off the candidate's path, and store what passes."""

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.db import transaction

from assessments.ai.ability import ability_estimate, difficulty_label, difficulty_logit
from assessments.ai.generation import GenerationOutcome, item_generate
from assessments.ai.providers import Generated, GenerationRequest, QuestionGenerator, Usage
from assessments.models import Assessment, Question, Skill, Test
from assessments.services.attempts import usage_record_into
from assessments.services.selection import skill_most_behind

logger = logging.getLogger(__name__)


def known_prompts_for(*, test: Test, assessment: Assessment | None = None) -> list[str]:
    """Prompts a new item must not repeat: the active pool, plus everything asked in the attempt."""
    prompts = set(Question.objects.filter(test=test, active=True).values_list("prompt", flat=True))
    if assessment is not None:
        prompts |= set(assessment.responses.values_list("question__prompt", flat=True))
    return sorted(prompts)


@transaction.atomic
def generated_store(*, skill: Skill, generated: Generated, validation: dict[str, object]) -> Question:
    """Keep an accepted item as an active Question with its provenance; recruiters review it later."""
    draft = generated.draft
    question = Question(
        test_id=skill.test_id,
        skill=skill,
        prompt=draft.prompt.strip(),
        options=[o.strip() for o in draft.options],
        correct_option=draft.correct_option,
        explanation=draft.explanation,
        difficulty=draft.difficulty,
        source=Question.Source.GENERATED,
        provider=generated.provider,
        model_name=generated.model,
        prompt_hash=generated.prompt_hash,
        validation=validation,
        active=True,
    )
    question.full_clean()
    question.save()
    return question


@dataclass(frozen=True)
class PreparationPlan:
    assessment_id: int
    position: int
    skill: Skill
    requests: list[GenerationRequest]
    known_prompts: list[str]


@transaction.atomic
def preparation_plan(*, assessment_id: int) -> PreparationPlan | None:
    """What to generate for the question after the current one, for either answer the candidate may give."""
    # Locked: ai_state is read, changed and written back, and answers write it too.
    assessment = (
        Assessment.objects.select_for_update(of=("self",)).select_related("test").filter(pk=assessment_id).first()
    )
    if assessment is None or assessment.status != Assessment.Status.IN_PROGRESS:
        return None
    current = assessment.responses.filter(answered_at__isnull=True).select_related("question").first()
    if current is None or current.position >= assessment.max_score:
        return None
    if assessment.ai_state.get("prepared_for") == current.position:
        return None
    skills = {s.pk: s for s in Skill.objects.filter(test_id=assessment.test_id)}
    asked = Counter(assessment.responses.values_list("question__skill_id", flat=True))
    skill_id = skill_most_behind(weights={pk: s.weight for pk, s in skills.items()}, asked=asked, eligible=set(skills))
    answered = [
        (
            difficulty_logit(r.question.difficulty),
            r.credit if r.credit is not None else float(bool(r.is_correct)),
            r.question.skill_id,
        )
        for r in assessment.responses.filter(answered_at__isnull=False).select_related("question")
    ]
    in_skill: list[tuple[float, bool | float]] = (
        [(d, c) for d, c, sid in answered if sid == skill_id]
        if any(sid == skill_id for *_, sid in answered)
        else [(d, c) for d, c, _ in answered]
    )
    current_item = (difficulty_logit(current.question.difficulty), True)
    wanted = {
        difficulty_label(ability_estimate([*in_skill, (current_item[0], outcome)]).theta) for outcome in (True, False)
    }
    known = known_prompts_for(test=assessment.test, assessment=assessment)
    requests = [
        GenerationRequest(
            job_description=assessment.test.job_description,
            skill=skills[skill_id].name,
            difficulty=label,
            avoid_prompts=known,
        )
        for label in sorted(wanted)
    ]
    assessment.ai_state["prepared_for"] = current.position
    assessment.save(update_fields=["ai_state"])
    return PreparationPlan(
        assessment_id=assessment.pk,
        position=current.position,
        skill=skills[skill_id],
        requests=requests,
        known_prompts=known,
    )


@transaction.atomic
def prepared_store(*, plan: PreparationPlan, outcomes: list[GenerationOutcome], usage: Usage) -> list[int]:
    """Store accepted items and remember them, so the next pick prefers them over the bank; count
    on the attempt why the others were rejected."""
    ids = [
        generated_store(skill=plan.skill, generated=o.accepted, validation=o.validation_record()).pk
        for o in outcomes
        if o.accepted is not None
    ]
    assessment = Assessment.objects.select_for_update().get(pk=plan.assessment_id)
    assessment.ai_state["prepared"] = [*assessment.ai_state.get("prepared", []), *ids]
    rejections = Counter(assessment.ai_state.get("rejections", {}))
    for outcome in outcomes:
        rejections.update(outcome.rejection_counts())
    if rejections:
        assessment.ai_state["rejections"] = dict(rejections.most_common())
    usage_record_into(state=assessment.ai_state, usage=usage)
    assessment.save(update_fields=["ai_state"])
    return ids


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
