"""The scenarios P1-P6: each drives the load clients, prints what it saw and returns its figures."""

import os
import time
from typing import Any

from benchmarks.client import split
from benchmarks.cluster import Server, ai_prepared_count, start_all
from benchmarks.context import Context, codes, counted, merged
from benchmarks.load import OPEN_TIMEOUT, REPLY_TIMEOUT
from benchmarks.report import Figure, percentile, percentile_bounded, summary

AUTH_TIMEOUT = 30.0  # seconds from the auth message to auth_success in P1
KICK_WITHIN = 5.0  # seconds A may take to hear it was replaced before it counts as missed (P4)
ATTEMPT_TIMEOUT = 240.0  # seconds one whole attempt may take (P5, P6)


# ---------------------------------------------------------------- P1, P2


def p1_connections(ctx: Context) -> list[Figure]:
    plan = ctx.plan
    n = plan.connections
    ctx.say(f"P1  {n:,} authenticated connections at {plan.connect_rate:.0f}/s over {len(ctx.workers)} workers")
    tokens = ctx.seed.tokens[:n]
    schedule = [(i / plan.connect_rate, url, token) for i, (url, token) in enumerate(ctx.spread(tokens))]
    rss_before = [w.rss_kb() for w in ctx.workers]
    with ctx.usage("opening") as results:
        results += ctx.pool.call(
            "open_connections",
            ctx.per_client("schedule", schedule, start_at=time.monotonic() + 1.0, auth_timeout=AUTH_TIMEOUT),
            timeout=n / plan.connect_rate + OPEN_TIMEOUT + AUTH_TIMEOUT + 60,
        )
    ctx.settle("after opening")  # memory is read, and P2 starts, once the storm has passed
    rss_after = [w.rss_kb() for w in ctx.workers]
    latencies = merged(results, "latencies")
    held = len(latencies)
    handshake, auth = counted(results, "handshake"), counted(results, "auth")
    grown = sum(rss_after) - sum(rss_before)
    per_connection = grown / held if held else None
    ctx.say(f"    held {held:,} of {n:,}; connect + auth {summary(latencies)}")
    ctx.say(f"    handshake failures {dict(handshake) or 0}; auth failures {dict(auth) or 0}")
    ctx.say(f"    client lag behind the schedule p99 {1000 * percentile(merged(results, 'lags'), 0.99):.0f} ms")
    ctx.say(
        "    worker RSS "
        + ", ".join(f"{b // 1024} -> {a // 1024} MiB" for b, a in zip(rss_before, rss_after, strict=True))
    )
    failures = sum(handshake.values()) + sum(auth.values())
    return [
        Figure("P1", "connections held", held, "", n, ">="),
        Figure("P1", "connection failures (handshake + auth)", failures, "", 0, "<=", note=codes(handshake + auth)),
        Figure("P1", "connect + auth p50", percentile(latencies, 0.5), "ms"),
        Figure("P1", "connect + auth p99", percentile(latencies, 0.99), "ms"),
        Figure(
            "P1",
            "server memory per connection",
            per_connection,
            "KB",
            40,
            "<=",
            note="VmRSS growth / held" + (" (failed attempts' memory included)" if failures else ""),
        ),
    ]


def p2_heartbeats(ctx: Context) -> list[Figure]:
    plan = ctx.plan
    ctx.say(
        f"P2  heartbeats on the held connections: one every {plan.heartbeat_interval:.0f} s each "
        f"for {plan.heartbeat_seconds:.0f} s"
    )
    with ctx.usage("heartbeats") as results:
        results += ctx.pool.same(
            "heartbeats",
            interval=plan.heartbeat_interval,
            duration=plan.heartbeat_seconds,
            start_at=time.monotonic() + 2.0,
            timeout=plan.heartbeat_seconds + 2 * plan.heartbeat_interval + 60,
        )
    latencies = merged(results, "latencies")
    lost = counted(results, "lost")
    still_open = sum(r["open"] for r in results)
    ctx.say(f"    pong {summary(latencies)} (from the scheduled send)")
    ctx.say(f"    lost {dict(lost) or 0}; connections still open {still_open:,}")
    ctx.say(f"    client lag behind the schedule p99 {1000 * percentile(merged(results, 'lags'), 0.99):.0f} ms")
    return [
        Figure("P2", "pong p50", percentile(latencies, 0.5), "ms"),
        Figure("P2", "pong p99", percentile(latencies, 0.99), "ms", 50, "<="),
        Figure("P2", "pong max", max(latencies, default=float("nan")), "ms"),
        Figure("P2", "heartbeats lost", sum(lost.values()), "", 0, "<=", note=codes(lost)),
    ]


def close_held(ctx: Context) -> None:
    results = ctx.pool.same("close_held", timeout=180)
    ctx.say(f"    closed {sum(r['closed'] for r in results):,} connections")
    ctx.settle("releasing the sessions")


# ---------------------------------------------------------------- P3


def p3_answers(ctx: Context) -> list[Figure]:
    plan, pool = ctx.plan, ctx.pool
    ctx.say(
        f"P3a open loop: {plan.answer_rate:.0f} answers/s offered for {plan.answer_seconds:.0f} s "
        f"over {plan.open_candidates} candidates"
    )
    prepared = pool.call(
        "prepare_candidates",
        ctx.per_client("targets", ctx.spread(ctx.take(plan.open_candidates)), start=True),
        timeout=180,
    )
    ready = sum(r["ready"] for r in prepared)
    ctx.say(f"    {ready} candidates started; failures {dict(counted(prepared, 'failures')) or 0}")
    offsets = [i / plan.answer_rate for i in range(int(plan.answer_rate * plan.answer_seconds))]
    start_at = time.monotonic() + 1.0
    with ctx.usage("answering") as results:
        results += pool.call(
            "answers_open_loop",
            ctx.per_client("offsets", offsets, start_at=start_at, grace=plan.answer_grace),
            timeout=plan.answer_seconds + plan.answer_grace + 2 * REPLY_TIMEOUT + 30,
        )
    done, unsent = merged(results, "latencies"), merged(results, "unsent")
    errors = counted(results, "errors")
    p99, bounded = percentile_bounded(done, unsent, 0.99)
    p50, bounded50 = percentile_bounded(done, unsent, 0.5)
    served = len(done) / max(plan.answer_seconds, max(r["last_done"] for r in results) - start_at)
    ctx.say(
        f"    answered {len(done):,} of {len(offsets):,} offered; never sent {len(unsent):,}; lost {dict(errors) or 0}"
    )
    ctx.say(f"    answer -> next question, from the scheduled time: {summary(done)} (answered ones)")
    ctx.say(f"    waiting for a free candidate p99 {1000 * percentile(merged(results, 'lags'), 0.99):.0f} ms")
    figures = [
        Figure("P3a", "answer p50 (open loop)", p50, "ms", lower_bound=bounded50),
        Figure("P3a", "answer p99 (open loop)", p99, "ms", 50, "<=", lower_bound=bounded),
        Figure("P3a", "answers/s served", served, "/s", note=f"{plan.answer_rate:.0f}/s offered"),
        Figure("P3a", "answers lost (sent, no reply)", sum(errors.values()), "", 0, "<=", note=codes(errors)),
    ]
    ctx.settle("after the open loop")

    count = min(plan.closed_candidates, ready)
    ctx.say(f"P3b closed loop: {count} candidates answering back to back for {plan.closed_seconds:.0f} s")
    with ctx.usage("answering") as results:
        results += pool.call(
            "answers_closed_loop",
            [
                {"count": len(part), "start_at": time.monotonic() + 1.0, "duration": plan.closed_seconds}
                for part in split(list(range(count)), plan.clients)
            ],
            timeout=plan.closed_seconds + 2 * REPLY_TIMEOUT + 30,
        )
    answers = sum(r["answers"] for r in results)
    ceiling = answers / plan.closed_seconds
    ctx.say(f"    {answers:,} answers: {ceiling:.0f}/s; submit -> feedback {summary(merged(results, 'latencies'))}")
    answering = ctx.spent
    ctx.say(f"    CPU per answer: {answering.per(answers)}")
    pool.same("close_candidates", timeout=60)
    ctx.settle("closing the candidates")
    echo = echo_floor(ctx, count)
    # PostgreSQL's share alone bounds the ceiling: were the whole machine its, it could commit no more.
    bound = (os.cpu_count() or 1) * answers / answering.postgres / echo if answering.postgres and echo else None
    if bound is not None:
        ctx.say(f"    PostgreSQL's CPU per answer alone caps the ceiling at {bound:.2f} x the echo floor")
    return [
        *figures,
        Figure("P3b", "answers/s ceiling (closed loop)", ceiling, "/s", note=f"{count} candidates, 2 workers"),
        Figure("P3b", "echo round trips/s (floor)", echo, "/s", note=f"{count} sockets, 1 daphne"),
        Figure(
            "P3b",
            "ceiling / echo floor",
            ceiling / echo if echo else None,
            "",
            0.5,
            ">=",
            note=f"PostgreSQL's CPU alone caps it at {bound:.2f}" if bound is not None else "",
        ),
    ]


def echo_floor(ctx: Context, count: int) -> float:
    plan = ctx.plan
    ctx.say(f"P3b echo floor: {count} sockets to one bare daphne echo, back to back for {plan.closed_seconds:.0f} s")
    with ctx.usage("echoing", [ctx.echo]) as results:
        results += ctx.pool.call(
            "echo_closed_loop",
            [
                {
                    "url": ctx.echo.url("/"),
                    "count": len(part),
                    "start_at": time.monotonic() + 2.0,
                    "duration": plan.closed_seconds,
                }
                for part in split(list(range(count)), plan.clients)
            ],
            timeout=plan.closed_seconds + 60,
        )
    round_trips = sum(r["round_trips"] for r in results)
    rate = round_trips / plan.closed_seconds
    ctx.say(f"    {rate:.0f} round trips/s; CPU per round trip: {ctx.spent.per(round_trips)}")
    return rate


# ---------------------------------------------------------------- P4


def p4_kickout(ctx: Context) -> list[Figure]:
    plan = ctx.plan
    w1, w2 = ctx.workers[0], ctx.workers[1]
    ctx.say(f"P4  kick-out across workers: {plan.kick_pairs} candidates, A on {w1.name} replaced by B on {w2.name}")
    pairs = [(w1.url(ctx.path()), w2.url(ctx.path()), token) for token in ctx.take(plan.kick_pairs)]
    with ctx.usage("kicking out") as results:
        results += ctx.pool.call(
            "kickouts",
            ctx.per_client(
                "pairs",
                pairs,
                at_once=max(1, plan.kick_at_once // plan.clients),
                within=KICK_WITHIN,
                until=time.monotonic() + plan.kick_budget,
            ),
            timeout=plan.kick_budget + OPEN_TIMEOUT + 2 * REPLY_TIMEOUT + KICK_WITHIN + 30,
        )
    latencies = merged(results, "latencies")
    timed_out = sum(r["missed"] for r in results)
    late, never_why = merged(results, "late"), counted(results, "never")
    never = sum(never_why.values())
    not_run = sum(r["not_run"] for r in results)
    failures = counted(results, "failures")
    ctx.say(f"    B's auth -> A told: {summary(latencies)}")
    ctx.say(
        f"    not told within {KICK_WITHIN:.0f} s {timed_out} (told later {len(late)}"
        + (f", after {', '.join(f'{ms / 1000:.1f}' for ms in sorted(late)[:5])} s" if late else "")
        + f"; never {never}{': ' + codes(never_why) if never else ''}); pairs that failed {dict(failures) or 0}; "
        f"not run (over the {plan.kick_budget:.0f} s budget) {not_run}"
    )
    missed = plan.kick_pairs - len(latencies)
    note = f"{timed_out} not told in {KICK_WITHIN:.0f} s ({never} never), "
    note += f"{sum(failures.values())} failed, {not_run} not run"
    return [
        Figure("P4", "kick-out p50", percentile(latencies, 0.5), "ms"),
        Figure("P4", "kick-out p99", percentile(latencies, 0.99), "ms", 25, "<="),
        Figure("P4", "kick-outs missed", missed, "", 0, "<=", note=note),
    ]


# ---------------------------------------------------------------- P5, P6


def attempts(
    ctx: Context, targets: list[tuple[str, str]], *, reading: float, servers: list[Server] | None = None
) -> list[dict[str, Any]]:
    prepared = ctx.pool.call("prepare_candidates", ctx.per_client("targets", targets, start=False), timeout=120)
    failures = counted(prepared, "failures")
    if failures:
        ctx.say(f"    connecting: failures {dict(failures)}")
    with ctx.usage("attempts", servers) as results:
        arguments = {"start_at": time.monotonic() + 1.0, "reading": reading, "within": ATTEMPT_TIMEOUT}
        results += ctx.pool.call("whole_attempts", [arguments] * ctx.plan.clients, timeout=ATTEMPT_TIMEOUT + 30)
    ctx.pool.same("close_candidates", timeout=60)
    return results


def p5_whole_attempts(ctx: Context) -> list[Figure]:
    figures = []
    for count, target in ((ctx.plan.attempts_many, 150.0), (ctx.plan.attempts_few, 25.0)):
        ctx.say(f"P5  {count} candidates at once, each a whole attempt with no think time")
        results = attempts(ctx, ctx.spread(ctx.take(count)), reading=0.0)
        feedback = merged(results, "feedback")
        finished = sum(r["finished"] for r in results)
        errors = counted(results, "errors")
        ctx.say(
            f"    finished {finished}/{count} in {max(r['seconds'] for r in results):.1f} s; "
            f"submit -> answer_feedback {summary(feedback)}; errors {dict(errors) or 0}"
        )
        figures += [
            Figure("P5", f"{count} at once: attempts finished", finished, "", count, ">=", note=codes(errors)),
            Figure("P5", f"{count} at once: feedback p50", percentile(feedback, 0.5), "ms", target, "<="),
            Figure("P5", f"{count} at once: feedback p99", percentile(feedback, 0.99), "ms"),
        ]
        ctx.settle("after the attempts")
    return figures


def p6_next_question(ctx: Context) -> list[Figure]:
    from assessments.tests.fake_openai import FakeOpenAI
    from benchmarks.next_question import slow_model

    plan = ctx.plan
    ctx.say(
        f"P6  next question with a {plan.model_seconds:.0f} s stub model and {plan.reading:.1f} s of reading: "
        f"{plan.ai_candidates} candidates x {plan.ai_questions} questions on a worker with JATAYU_AI_PROVIDER=openai"
    )
    model = FakeOpenAI()
    model.responder = slow_model(plan.model_seconds)
    model.start()
    env = {
        **ctx.env,
        "JATAYU_AI_PROVIDER": "openai",
        "OPENAI_API_KEY": "benchmark",
        "OPENAI_BASE_URL": model.url,
        "JATAYU_AI_TIMEOUT_SECONDS": "10",
    }
    server = Server("ai-worker", "jatayu.asgi:application", env, ctx.log_dir)
    try:
        start_all([server])
        tokens = ctx.take(plan.ai_candidates)
        targets = [(server.url(ctx.path(ctx.seed.ai_test_id)), token) for token in tokens]
        results = attempts(ctx, targets, reading=plan.reading, servers=[server])
    finally:
        server.stop()
        model.stop()
    latencies = merged(results, "next_question")
    prepared, asked = ai_prepared_count(test_id=ctx.seed.ai_test_id)
    ctx.say(f"    submit -> next question {summary(latencies)}; p95 {percentile(latencies, 0.95):.1f} ms")
    ctx.say(f"    questions served from AI-prepared items: {prepared} of {asked}; model calls {len(model.requests)}")
    return [
        Figure("P6", "next question p50", percentile(latencies, 0.5), "ms"),
        Figure("P6", "next question p95", percentile(latencies, 0.95), "ms", 150, "<"),
        Figure("P6", "served from AI-prepared items", prepared, "", note=f"of {asked}"),
    ]
