"""Acceptance and junk rates of the validation gate on a fixed set of seeded items.

    python -m benchmarks.gate                  # the seeded reviewer: a fake server that answers as
                                               # benchmarks/gate_items.py says a careful model would
    python -m benchmarks.gate --local-model    # and SmolLM2 (scripts/local-model) as solver and reviewer
    python -m benchmarks.gate --base-url URL --model M   # and that server instead
    ... --write                                # record it in docs/PERFORMANCE.md

Each seeded item is offered to the gate as if a generator had returned it; the gate's model calls
(the independent solver and the key-blind review) go to the chosen server through the real
langchain-openai client. Printed: per item class, accepted or rejected and why; the acceptance rate
of good items and the rate of junk let through.
"""

import argparse
import asyncio
import logging
import sys
import tempfile
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.ai_setup import django_setup, provider_at
from benchmarks.gate_items import ITEMS, JOB, JUNK, SKILL, SeededItem


@dataclass
class GateReport:
    accepted: list[SeededItem] = field(default_factory=list)
    rejected: dict[str, list[str]] = field(default_factory=dict)  # item prompt -> reasons
    reasons: Counter[str] = field(default_factory=Counter)

    def good_accepted(self) -> float:
        good = [i for i in ITEMS if i.good]
        return sum(i in self.accepted for i in good) / len(good)

    def junk_through(self) -> float:
        junk = [i for i in ITEMS if not i.good]
        return sum(i in self.accepted for i in junk) / len(junk)


def seeded_reply(request: dict[str, Any]) -> Any:
    """The seeded reviewer: answers a solve or review request as the matching seeded item says."""
    from assessments.ai.providers import REVIEW_SYSTEM
    from assessments.tests.fake_openai import Reply

    text = "\n".join(str(m.get("content") or "") for m in request.get("messages", []))
    item = next((i for i in ITEMS if i.prompt in text), None)
    if item is None:
        return Reply(status=500)
    if REVIEW_SYSTEM in text:
        return Reply(json_content=item.review_reply())
    return Reply(json_content={"answer_index": item.solver})


class SeededGenerator:
    """Returns the seeded items as its generations; solving and reviewing are the real client's."""

    def __init__(self, item: SeededItem) -> None:
        from assessments.ai.providers import OpenAIQuestionGenerator

        self.item = item
        self.inner = OpenAIQuestionGenerator()
        self.name, self.model = "seeded", self.inner.model

    async def generate(self, request: Any) -> Any:
        from assessments.ai.providers import Generated, ItemDraft

        draft = ItemDraft.model_validate(self.item.draft())
        return Generated(draft=draft, provider=self.name, model=self.model, prompt_hash="0" * 64)

    async def solve(self, **kwargs: Any) -> int:
        return await self.inner.solve(**kwargs)

    async def review(self, **kwargs: Any) -> Any:
        return await self.inner.review(**kwargs)


async def gate_measure() -> GateReport:
    """Every seeded item through `item_generate` once, with the settings as they are."""
    from django.test import override_settings

    from assessments.ai.generation import item_generate
    from assessments.ai.providers import GenerationRequest

    report = GateReport()
    request = GenerationRequest(job_description=JOB, skill=SKILL, difficulty="medium", avoid_prompts=[])
    with override_settings(JATAYU_AI_GENERATION_ATTEMPTS=1, JATAYU_AI_VERIFY=True):
        for item in ITEMS:
            outcome = await item_generate(generator=SeededGenerator(item), request=request, known_prompts=[])
            if outcome.accepted is not None:
                report.accepted.append(item)
            else:
                report.rejected[item.prompt] = outcome.rejections
                report.reasons.update(outcome.rejections)
    return report


def _words_pass(item: SeededItem) -> bool:
    from assessments.ai.validation import item_validate

    return item_validate(
        prompt=item.prompt,
        options=item.options,
        correct_option=item.correct_option,
        known_prompts=[],
        explanation=item.explanation,
    ).ok


def gate_lines(report: GateReport, reviewer: str) -> list[str]:
    lines = [f"Validation gate on {len(ITEMS)} seeded items, judged by {reviewer}:", ""]
    lines += ["| item | verdict |", "| --- | --- |"]
    for item in ITEMS:
        verdict = "accepted" if item in report.accepted else "rejected: " + "; ".join(report.rejected[item.prompt])
        lines.append(f"| {item.fault or 'good'} | {verdict} |")
    lines += [
        "",
        f"Good items accepted: {report.good_accepted():.0%}; junk let through: {report.junk_through():.0%}.",
        "",
    ]
    return lines


def _judged_by(base_url: str, model: str, reviewer: str) -> list[str]:
    from django.conf import settings

    from assessments.ai import structured

    provider_at(base_url)
    settings.JATAYU_AI_QUESTION_MODEL = model
    structured.forget_methods()
    return gate_lines(asyncio.run(gate_measure()), reviewer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", help="also judge with a real OpenAI-compatible server")
    parser.add_argument("--model", default="smollm2", help="its model name")
    parser.add_argument("--local-model", action="store_true", help="also judge with the local model (SmolLM2)")
    parser.add_argument("--write", action="store_true", help="record the figures in docs/PERFORMANCE.md")
    args = parser.parse_args()
    django_setup(quiet_below=logging.INFO)
    from assessments.tests.fake_openai import FakeOpenAI
    from benchmarks import report

    fake = FakeOpenAI()
    fake.responder = seeded_reply
    fake.start()
    try:
        lines = _judged_by(fake.url, "seeded", "the seeded reviewer (what a careful model says of each item)")
    finally:
        fake.stop()
    caught = sum(not _words_pass(item) for item in JUNK)
    lines += [f"The checks that need no model catch {caught} of the {len(JUNK)} junk items by themselves.", ""]
    with ExitStack() as stack:
        base_url, model = args.base_url, args.model
        if base_url is None and args.local_model:
            from testsupport.local_model import local_model_server

            log = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "server.log"
            served = stack.enter_context(local_model_server(log))
            base_url, model = served.url, served.name
        if base_url is not None:
            lines += _judged_by(base_url, model, f"{model} as solver and reviewer")
    text = "\n".join(lines)
    print(text)
    if args.write:
        section = "\n".join(
            [
                "## AI: the validation gate",
                "",
                f"`python -m benchmarks.gate{' --local-model' if args.local_model else ''}` at commit "
                f"`{report.git_commit()}`, {report.now():%Y-%m-%d %H:%M} UTC. Items: benchmarks/gate_items.py.",
                "",
                text,
            ]
        )
        report.section_write("gate", section, report.ROOT / "docs" / "PERFORMANCE.md")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
