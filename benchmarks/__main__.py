"""Jatayu's benchmark suite: `make bench` (`python -m benchmarks [--quick] [--only P3,P4] [--write]`).

One command brings up everything it measures and removes it afterwards, even when it fails: a
throw-away PostgreSQL database on 127.0.0.1:5432, a free Redis database number on 127.0.0.1:6379,
one published test (10 questions an attempt from a bank of 40, a 10-hour limit, attempts
practically unlimited, no application needed) and enough candidates with access tokens, two daphne
workers of `jatayu.asgi:application`, and one daphne serving the bare echo consumer of
`benchmarks/echo.py` (the floor). The load client is `--clients` processes of its own
(`benchmarks/client.py`); the figures are printed, never asserted.

Scenarios (full size; `--quick` runs every one smaller, in under 2 minutes):

- P1 connections: 10,000 sockets to the two workers in turn, opened at 500/s; each sends
  `auth {token}` first and waits for `auth_success`. Held, failures, connect + auth p50/p99, and
  the workers' VmRSS growth per held connection (target: all held, 0 failures, <= 40 KB each).
- P2 heartbeats: the P1 sockets each send a heartbeat every 10 s for 30 s; pong latency from the
  scheduled send (target p99 <= 50 ms).
- P3a answers, open loop: 300 answers/s offered on a fixed schedule for 20 s to 200 started
  candidates; each scheduled answer is taken by a free candidate, and timed from its scheduled time
  (not when it was sent, against coordinated omission) to the next `question` or
  `assessment_completed`. A finished candidate starts again. Answers still queued when the run ends
  are counted at their wait, which makes the percentile a lower bound (target p99 <= 50 ms).
- P3b ceiling: 100 candidates answer back to back for 20 s (answers/s), against the floor: the same
  number of sockets doing echo round trips on the one echo daphne (target ceiling/floor >= 0.5).
- P4 kick-out: for 1,000 candidates (4 pairs at a time) A authenticates on worker 1, then B for the same test on
  worker 2; from B's `auth` to A receiving `session_replaced` (or close 4008). Missed: A not told
  within 5 s, or the pair failed (target p99 <= 25 ms, 0 missed).
- P5 whole attempts: 100 candidates start at once and answer every question with no think time;
  finished and submit -> `answer_feedback` (target 100/100, p50 <= 150 ms); then 15 (p50 <= 25 ms).
- P6 next question: a third worker with `JATAYU_AI_PROVIDER=openai` against a stub model taking 2 s
  per call (assessments/tests/fake_openai.py, as benchmarks/next_question.py); 3 candidates read
  each question 2.5 s, then answer; submit -> next `question` (target p95 < 150 ms).

Output: a table (id, figure, measured, target, vs target, met). A full run of every scenario writes
docs/PERFORMANCE.md (`--no-write` to skip). A `--quick` or `--only` run only prints, unless
`--write` is given: then the file says at the top that it is a quick run. Worker logs are kept in
a temporary directory, named at the end with any errors they hold.

The client shares the machine with the servers, PostgreSQL and Redis, and with whatever else runs
there: before each scenario the suite waits (`--quiet-wait`, 60 s; a quick run only looks) for the machine to go
quiet, and each scenario prints the CPU time of the servers, the load clients, Redis and the whole
machine, so work that is not ours shows.

Deliberate settings: WS_RATE_LIMIT=1000 (clients answer back to back, faster than the 20/s
default allows), LOG_LEVEL=WARNING, DEBUG=0, access tokens valid for 4 hours.
"""

import argparse
import os
import shlex
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType

from benchmarks import cluster, context, report, scenarios
from benchmarks.client import ClientPool
from benchmarks.cluster import Server
from benchmarks.context import QUICK, Context, Plan
from benchmarks.report import Figure

OUTPUT = report.ROOT / "docs" / "PERFORMANCE.md"
SCENARIOS: dict[str, Callable[[Context], list[Figure]]] = {
    "P1": scenarios.p1_connections,
    "P2": scenarios.p2_heartbeats,
    "P3": scenarios.p3_answers,
    "P4": scenarios.p4_kickout,
    "P5": scenarios.p5_whole_attempts,
    "P6": scenarios.p6_next_question,
}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a small version of every scenario (under 2 min)")
    parser.add_argument("--only", default="", help="comma-separated scenario ids, e.g. P3,P4 (P2 brings P1)")
    parser.add_argument("--connections", type=int, help="P1's connection count (default 10,000; quick 1,000)")
    parser.add_argument("--clients", type=int, help="load-client processes (default 2)")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        help="seconds to wait before each scenario for other work on the machine to stop (default 60; quick 0: only look)",
    )
    write = parser.add_mutually_exclusive_group()
    write.add_argument("--write", action="store_true", help="write the report even for a quick or partial run")
    write.add_argument("--no-write", action="store_true", help="never write the report")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"report path (default {OUTPUT})")
    return parser.parse_args()


def selected(only: str) -> list[str]:
    wanted = [s.strip().upper() for s in only.split(",") if s.strip()] or list(SCENARIOS)
    unknown = [s for s in wanted if s not in SCENARIOS]
    if unknown:
        sys.exit(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    if "P2" in wanted and "P1" not in wanted:
        wanted.append("P1")  # P2 beats on P1's connections
    return [s for s in SCENARIOS if s in wanted]


def stop_on_sigterm() -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)  # unwinds through every `finally`: servers stopped, database dropped

    signal.signal(signal.SIGTERM, handler)


def run_scenarios(ctx: Context, ids: list[str], quiet_wait: float) -> list[Figure]:
    figures: list[Figure] = []
    context.warm_up(ctx)
    for scenario_id in ids:
        for server in [*ctx.workers, ctx.echo]:
            if not server.running():
                ctx.say(f"!!  {server.name} had exited; restarting it. Its log ends:\n{server.log_tail()}")
                cluster.start_all([server])
        if scenario_id != "P2":  # P2 follows P1 at once, on its connections
            ctx.quiet(scenario_id, quiet_wait)
        began = time.monotonic()
        try:
            figures += SCENARIOS[scenario_id](ctx)
        except Exception as exc:
            traceback.print_exc()
            ctx.say(f"!!  {scenario_id} failed: {exc}")
            figures.append(Figure(scenario_id, "scenario failed", None, note=str(exc)[:120]))
            ctx.pool.restart()  # whatever sockets the scenario left open go with the old clients
            ctx.settle("after the failure")
        ctx.say(f"    ({scenario_id} took {time.monotonic() - began:.0f} s)")
        if scenario_id == "P2" or (scenario_id == "P1" and "P2" not in ids):
            scenarios.close_held(ctx)
    return figures


def main() -> None:
    args = arguments()
    stop_on_sigterm()
    cluster.raise_open_files_limit()
    plan: Plan = QUICK if args.quick else Plan()
    if args.connections:
        plan = replace(plan, connections=args.connections)
    if args.clients:
        plan = replace(plan, clients=args.clients)
    ids = selected(args.only)
    started, began = report.now(), time.monotonic()
    log_dir = Path(tempfile.mkdtemp(prefix="jatayu-bench-"))
    print(f"benchmarks: {'quick' if args.quick else 'full'} run of {', '.join(ids)}; logs in {log_dir}", flush=True)

    busy = cluster.machine_busy_now()
    print(f"    the machine is busy {busy:.2f} of {os.cpu_count()} cores before anything starts", flush=True)
    for stale in cluster.databases_left_behind():
        cluster.database_drop(stale)
        print(f"    dropped {stale}, left behind by a run that was killed", flush=True)
    database = cluster.database_create()
    redis_db: int | None = None
    servers: list[Server] = []
    pool: ClientPool | None = None
    try:
        redis_db = cluster.redis_pick()
        env = cluster.environment(database=database, redis_db=redis_db)
        print(f"    database {database}, Redis db {redis_db}; migrating and seeding", flush=True)
        seed = cluster.django_prepare(env, users=plan.users_needed(), ai_questions=plan.ai_questions)
        workers = [Server(f"w{i + 1}", "jatayu.asgi:application", env, log_dir) for i in range(2)]
        echo_env = {k: v for k, v in env.items() if k != "DJANGO_SETTINGS_MODULE"}
        echo = Server("echo", "benchmarks.echo:application", echo_env, log_dir)
        servers = [*workers, echo]
        cluster.start_all(servers)
        pool = ClientPool(plan.clients)
        print(f"    ready in {time.monotonic() - began:.0f} s: {len(seed.tokens):,} candidates", flush=True)
        ctx = Context(plan, pool, workers, echo, seed, env, redis_db, log_dir)
        quiet_wait = args.quiet_wait if args.quiet_wait is not None else 0.0 if args.quick else 60.0
        figures = run_scenarios(ctx, ids, quiet_wait)
        services = cluster.service_versions(redis_db)
        services["Busy before the run"] = f"{busy:.2f} of {os.cpu_count()} cores (other work on the machine)"
    finally:
        if pool is not None:
            pool.stop()
        for server in servers:
            server.stop()
        problems = cluster.log_problems(log_dir)
        cluster.django_close()
        cluster.database_drop(database)
        if redis_db is not None:
            cluster.redis_release(redis_db)
        print(f"    dropped database {database}; released Redis db {redis_db}", flush=True)

    print()
    print(report.text_table(figures))
    print()
    for line in problems or ["server logs: no errors"]:
        print(line)
    ctx.details += ["", *(problems or ["server logs: no errors"])]
    full = not args.quick and not args.only
    if args.write or (full and not args.no_write):
        run = report.Run(
            figures=figures,
            details=ctx.details,
            services=services,
            command="python -m benchmarks " + shlex.join(sys.argv[1:]),
            kind="quick" if args.quick else "partial" if args.only else "full",
            scenarios=ids,
            started=started,
            seconds=time.monotonic() - began,
            log_dir=str(log_dir),
        )
        report.write(run, args.output)
        print(f"wrote {os.path.relpath(args.output)}")
    print(f"total {(time.monotonic() - began) / 60:.1f} min")


if __name__ == "__main__":
    main()
