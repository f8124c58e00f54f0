"""The tutor's guard: the red-team suite per attack class, and what the judge adds to a reply's latency.

    python -m benchmarks.tutor                      # red team; latency on the local model if installed
    python -m benchmarks.tutor --base-url URL --model M   # latency on that server instead
    python -m benchmarks.tutor --no-latency         # red team only

The red team (benchmarks/redteam.py) runs on a local fake server: the adversarial tutor and the
reference judge. The latency runs the real tutor and the real judge, on one model, for a question on
screen: the time until the candidate sees the first text, and until the reply is complete, with the
judge (the reply is held, judged, then sent whole) and without it (the patterns release it sentence by
sentence as it streams).
"""

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from benchmarks.ai_setup import django_setup, provider_at
from benchmarks.redteam import QUESTIONS, RedTeamReport, redteam_run

LATENCY_MESSAGES = ["What does this question ask, in plain words?", "Explain the idea behind it, please."]


def redteam_lines(report: RedTeamReport, title: str) -> list[str]:
    lines = [f"{title}:", "", "| class | cases | leaks | caught by patterns | caught by judge | false refusals |"]
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for kind, row in report.per_class().items():
        lines.append(
            f"| {kind} | {row['cases']} | {row['leaks']} | {row['caught by patterns']} | "
            f"{row['caught by judge']} | {row['false refusals']} |"
        )
    lines += [
        "",
        f"Leaks in form {len(report.leaks('form'))}, in meaning {len(report.leaks('meaning'))}; false refusals "
        f"{len(report.false_refusals())} of {len(report.harmless())} harmless replies.",
        "",
    ]
    return lines


async def latency(*, rounds: int) -> dict[str, list[float]]:
    """Seconds to first visible text and to the whole reply, with the judge and without."""
    from assessments.ai.providers import OpenAITutor, TutorContext
    from assessments.ai.tutoring import ChatTurn, tutor_reply
    from benchmarks.redteam import PatternsOnly

    figures: dict[str, list[float]] = {k: [] for k in ("first_judged", "whole_judged", "first_plain", "whole_plain")}
    for _ in range(rounds):
        for q in QUESTIONS:
            for message in LATENCY_MESSAGES:
                for judged in (True, False):
                    tutor = OpenAITutor() if judged else PatternsOnly(OpenAITutor())
                    context = TutorContext(
                        skill="computing", job_description="", question_prompt=q.prompt, options=q.options
                    )
                    turn = ChatTurn(context=context, options=q.options, correct_index=q.key, assessment_id=None)
                    started, first = time.perf_counter(), list[float]()

                    async def on_chunk(chunk: str, first: list[float] = first, started: float = started) -> None:
                        first.append(first[0] if first else time.perf_counter() - started)

                    await tutor_reply(tutor=tutor, turn=turn, message=message, on_chunk=on_chunk)
                    whole = time.perf_counter() - started
                    suffix = "judged" if judged else "plain"
                    figures[f"whole_{suffix}"].append(whole)
                    figures[f"first_{suffix}"].append(first[0] if first else whole)
    return figures


def latency_lines(figures: dict[str, list[float]], where: str) -> list[str]:
    def p(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    lines = [f"Tutor latency on {where}, {len(figures['whole_judged'])} replies each way (seconds):", ""]
    lines += ["| | p50 | p95 |", "| --- | --- | --- |"]
    for key, label in [
        ("first_plain", "first text, patterns only"),
        ("first_judged", "first text, patterns + judge"),
        ("whole_plain", "whole reply, patterns only"),
        ("whole_judged", "whole reply, patterns + judge"),
    ]:
        lines.append(f"| {label} | {p(figures[key], 0.5):.2f} | {p(figures[key], 0.95):.2f} |")
    added = statistics.median(figures["first_judged"]) - statistics.median(figures["first_plain"])
    return [*lines, "", f"The judge adds {added:.2f} s (median) before the candidate sees anything.", ""]


def configure(base_url: str, model: str) -> None:
    from django.conf import settings

    provider_at(base_url)
    settings.JATAYU_AI_TUTOR_MODEL = settings.JATAYU_AI_JUDGE_MODEL = model
    settings.JATAYU_AI_TIMEOUT_SECONDS = 120.0
    settings.JATAYU_AI_TUTOR_MAX_TOKENS = 80


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", help="an OpenAI-compatible server for the latency part")
    parser.add_argument("--model", default="smollm2", help="its model name (tutor and judge)")
    parser.add_argument("--rounds", type=int, default=1, help="latency rounds over the suite's questions")
    parser.add_argument("--no-latency", action="store_true", help="the red team only")
    parser.add_argument("--write", action="store_true", help="record the figures in docs/PERFORMANCE.md")
    args = parser.parse_args()
    django_setup(quiet_below=logging.WARNING)
    from assessments.tests.fake_openai import FakeOpenAI
    from benchmarks import report

    fake = FakeOpenAI()
    fake.start()
    try:
        configure(fake.url, "adversary")
        lines = redteam_lines(asyncio.run(redteam_run(fake=fake)), "Red team, patterns and the reference judge")
        alone = asyncio.run(redteam_run(fake=fake, with_judge=False))
        lines += redteam_lines(alone, "Red team, the patterns alone")
    finally:
        fake.stop()
    if not args.no_latency:
        lines += _latency(args)
    text = "\n".join(lines)
    print(text)
    if args.write:
        command = "python -m benchmarks.tutor" + (" --no-latency" if args.no_latency else "")
        section = "\n".join(
            [
                "## AI: the tutor's guard",
                "",
                f"`{command}` at commit `{report.git_commit()}`, {report.now():%Y-%m-%d %H:%M} UTC. Cases: "
                "benchmarks/redteam.py.",
                "",
                text,
            ]
        )
        report.section_write("tutor", section, report.ROOT / "docs" / "PERFORMANCE.md")


def _latency(args: argparse.Namespace) -> list[str]:
    with ExitStack() as stack:
        base_url, model = args.base_url, args.model
        if base_url is None:
            from testsupport.local_model import local_model_python, local_model_server

            if local_model_python() is None:
                return ["Latency: no --base-url and no local model (scripts/local-model ensure); not measured.", ""]
            log = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "server.log"
            served = stack.enter_context(local_model_server(log))
            base_url, model = served.url, served.name
        configure(base_url, model)
        return latency_lines(asyncio.run(latency(rounds=args.rounds)), f"{model} (tutor and judge) on this CPU")


if __name__ == "__main__":
    main()
