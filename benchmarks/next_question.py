"""Next-question latency with a slow model.

A stub OpenAI-compatible model takes 2 s per call. Candidates read each question for a normal time
(2.5 s by default), then answer; we time from sending `submit_answer` to receiving the next
`question`. Because the next item is prepared in the background while the candidate reads, the
answer path never waits on the model. Prints p50/p95/max and how many questions were AI-prepared.

    python -m benchmarks.next_question [--candidates 3] [--questions 8] [--reading 2.5] [--model-seconds 2]
"""

import argparse
import asyncio
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any


def configure(db_path: Path, model_url: str) -> None:
    os.environ.update(
        DEBUG="1",
        SECRET_KEY="benchmark-only-secret-key-0123456789",
        DATABASE_URL=f"sqlite:///{db_path}",
        JATAYU_AI_PROVIDER="openai",
        OPENAI_API_KEY="benchmark",
        OPENAI_BASE_URL=model_url,
        JATAYU_AI_TIMEOUT_SECONDS="10",
        LOG_LEVEL="ERROR",
    )
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "jatayu.settings"
    import django

    django.setup()


def slow_model(seconds: float) -> Callable[[dict[str, Any]], Any]:
    from assessments.tests.fake_openai import Reply

    numbers = itertools.count()

    def respond(request: dict) -> Reply:
        n = next(numbers)
        wanted = next(
            (w for w in ("easy", "medium", "hard") if f"Difficulty wanted: {w}" in json.dumps(request)), "medium"
        )
        return Reply(
            delay=seconds,
            json_content={
                # Random text, so no two items look alike to the near-duplicate check.
                "prompt": f"Item {n}: {uuid.uuid4().hex} {uuid.uuid4().hex}?",
                "options": [uuid.uuid4().hex[:12] for _ in range(4)],
                "correct_option": 0,
                "explanation": "Hashing.",
                "difficulty": wanted,
            },
        )

    return respond


async def candidate_run(test_id: int, user: Any, questions: int, reading: float) -> tuple[list[float], int]:
    from channels.testing import WebsocketCommunicator
    from rest_framework_simplejwt.tokens import AccessToken

    from jatayu.asgi import application

    ws = WebsocketCommunicator(application, f"/ws/assessment/{test_id}/")
    await ws.connect()
    await ws.send_json_to({"type": "auth", "data": {"token": str(AccessToken.for_user(user))}})
    await ws.receive_json_from(timeout=10)
    await ws.send_json_to({"type": "start_assessment", "data": {}})
    await ws.receive_json_from(timeout=10)
    question = await ws.receive_json_from(timeout=10)
    latencies: list[float] = []
    served_ids: list[int] = []
    for _ in range(questions - 1):
        await asyncio.sleep(reading)
        sent = time.perf_counter()
        await ws.send_json_to(
            {"type": "submit_answer", "data": {"question_id": question["data"]["question_id"], "selected_option": 0}}
        )
        while (message := await ws.receive_json_from(timeout=30))["type"] != "question":
            if message["type"] == "assessment_completed":
                break
        latencies.append(time.perf_counter() - sent)
        question = message
        served_ids.append(message["data"].get("question_id", 0))
    await ws.disconnect()
    return latencies, len(served_ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=3)
    parser.add_argument("--questions", type=int, default=8)
    parser.add_argument("--reading", type=float, default=2.5, help="seconds a candidate reads each question")
    parser.add_argument("--model-seconds", type=float, default=2.0, help="seconds the stub model takes per call")
    args = parser.parse_args()

    from assessments.tests.fake_openai import FakeOpenAI

    model = FakeOpenAI()
    model.responder = slow_model(args.model_seconds)
    model.start()
    with tempfile.TemporaryDirectory() as tmp:
        configure(Path(tmp) / "bench.sqlite3", model.url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from assessments.models import Question
        from assessments.tests.factories import enrolled_candidate, published_test_with_bank

        test = published_test_with_bank(questions=30, skills=3, total_questions=args.questions)
        users = [enrolled_candidate(test=test) for _ in range(args.candidates)]

        async def everyone() -> list[tuple[list[float], int]]:
            return await asyncio.gather(*(candidate_run(test.pk, u, args.questions, args.reading) for u in users))

        results = asyncio.run(everyone())
        latencies = sorted(ms * 1000 for run, _ in results for ms in run)
        from assessments.models import Response

        prepared = Response.objects.filter(question__source=Question.Source.GENERATED, position__gt=1).count()
        asked_after_first = Response.objects.filter(position__gt=1).count()
    model.stop()
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    print(
        f"model: {args.model_seconds:.1f} s per call; reading time {args.reading:.1f} s; "
        f"{args.candidates} candidates x {args.questions} questions"
    )
    print(
        f"next-question latency over {len(latencies)} answers: p50 {statistics.median(latencies):.1f} ms, "
        f"p95 {p95:.1f} ms, max {latencies[-1]:.1f} ms"
    )
    print(f"questions served from AI-prepared items: {prepared} of {asked_after_first}")
    print(f"target p95 < 150 ms: {'met' if p95 < 150 else 'NOT met'}")
    sys.exit(0)


if __name__ == "__main__":
    main()
