import asyncio
from collections import Counter
from itertools import cycle
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from assessments.ai.generation import item_generate
from assessments.ai.providers import GenerationRequest, question_generator
from assessments.models import Skill, Test
from assessments.services.generation import generated_store, known_prompts_for


class Command(BaseCommand):
    help = (
        "Fill or grow a test's question bank ahead of time with AI-generated items. Every item passes the "
        "validation gate and is stored with its provenance; recruiters can review or deactivate it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("test_id", type=int, help="the test whose bank to grow")
        parser.add_argument("--count", type=int, default=10, help="how many items to add (default 10)")
        parser.add_argument("--skill", help="only this skill (by name); default: all, by blueprint weight")

    def handle(self, *args: Any, test_id: int, count: int, skill: str | None = None, **options: Any) -> None:
        if count < 1:
            raise CommandError("--count must be at least 1")
        test = Test.objects.filter(pk=test_id).first()
        if test is None:
            raise CommandError(f"Test {test_id} does not exist.")
        skills = list(Skill.objects.filter(test=test))
        if skill is not None:
            skills = [s for s in skills if s.name == skill]
        if not skills:
            raise CommandError(f"Test {test_id} has no skill{' named ' + repr(skill) if skill else 's'}.")
        generator = question_generator()
        if generator is None:
            raise CommandError(
                "No AI provider is configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for a local server), "
                "or JATAYU_AI_PROVIDER=openai."
            )
        plan = _weighted_plan(skills, count)
        accepted, rejections = 0, Counter[str]()
        for target in tqdm(plan, desc=f"Generating for '{test.title}'", unit="item", disable=None):
            request = GenerationRequest(
                job_description=test.job_description,
                skill=target.name,
                difficulty=target.difficulty,
                avoid_prompts=known_prompts_for(test=test),
            )
            outcome = asyncio.run(
                item_generate(generator=generator, request=request, known_prompts=request.avoid_prompts)
            )
            rejections.update(outcome.rejections)
            if outcome.accepted is not None:
                generated_store(skill=target, generated=outcome.accepted, validation=outcome.validation_record())
                accepted += 1
        self.stdout.write(f"accepted {accepted} of {count} item(s) for test {test.pk} ({test.title})")
        for reason, times in rejections.most_common():
            self.stdout.write(f"  rejected {times}x: {reason}")
        if accepted == 0:
            raise CommandError("No item was accepted; see the rejections above.")


def _weighted_plan(skills: list[Skill], count: int) -> list[Skill]:
    """`count` skills in proportion to their weights, interleaved."""
    total = sum(s.weight for s in skills)
    quota = {s.pk: s.weight / total * count for s in skills}
    plan: list[Skill] = []
    for current in cycle(sorted(skills, key=lambda s: -s.weight)):
        if len(plan) == count:
            return plan
        if quota[current.pk] > 0 or all(q <= 0 for q in quota.values()):
            plan.append(current)
            quota[current.pk] -= 1
    return plan
