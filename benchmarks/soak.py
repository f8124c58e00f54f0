"""The soak: `python -m benchmarks.soak [--minutes 30] [--candidates 200] [--write]` (not in CI).

Mixed load for a long while against two daphne workers on a throw-away PostgreSQL database and a
free Redis database (as `python -m benchmarks` sets them up). The database is on a PostgreSQL
server of the soak's own with the server's defaults (autovacuum on, fsync on), as in production:
the shared server on this machine runs with autovacuum off, and on it the dead rows of 30 minutes of
answers pile up and p99 climbs with them (`--postgres shared` measures that). candidates connect to the workers in
turn, start, read each question 0.5-2 s and answer it, send a heartbeat now and then, reload the
page (reconnect and resume) about once in 30 answers, and start again when an attempt ends; an HTTP
client polls `/api/health/` and `/api/me/`. Every `--every` seconds it samples each worker's RSS,
the backends on the database, the Redis keys, and the window's answers, failures and
submit -> `answer_feedback` p50/p99. Beside them, what could explain a slow window: the database's
size, the checkpoints and the autovacuum or autoanalyze runs that finished in it (and on which
tables), the machine's load and the soak client's own CPU. What must stay flat: RSS, backends,
Redis keys and p99; the summary compares the second half of the run with the first, and the p99 of
the windows with a checkpoint or an autovacuum against those without. `--write` puts the samples and the
summary into docs/PERFORMANCE.md (Ctrl-C ends the load early and still reports it), in a section `python -m benchmarks` keeps when it rewrites it.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks import cluster, report
from benchmarks.load import Candidate, authenticate, close_all, failure_name, open_socket
from benchmarks.soak_probes import (
    DatabaseWindow,
    backends,
    database_counters,
    database_window,
    redis_keys,
    server_settings,
)
from testsupport.faults import OwnPostgres

OUTPUT = report.ROOT / "docs" / "PERFORMANCE.md"
RELOAD_CHANCE, HEARTBEAT_CHANCE = 1 / 30, 0.2


@dataclass
class Stop:
    """When the load ends: at `at` (monotonic), or sooner on Ctrl-C, which still reports what was sampled."""

    at: float
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    def running(self) -> bool:
        return not self.ended.is_set() and time.monotonic() < self.at

    def now(self) -> None:
        self.ended.set()

    async def sleep_until(self, moment: float) -> None:
        """Sleep until `moment`, or until the load ends, whichever comes first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ended.wait(), timeout=max(0.0, min(moment, self.at) - time.monotonic()))


@dataclass
class Window:
    answers_ms: list[float] = field(default_factory=list)
    failures: int = 0


@dataclass
class Sample:
    minute: float
    rss_mb: list[float]
    backends: int
    redis_keys: int
    answers: int
    failures: int
    p50_ms: float | None
    p99_ms: float | None
    database: DatabaseWindow
    load: float
    client_cpu: float


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def candidate(urls: list[str], token: str, number: int, window: list[Window], stop: Stop) -> None:
    """One candidate for the whole soak: attempts one after another, reloading now and then."""
    rng, reloads = random.Random(number), 0
    while stop.running():
        ws = None
        try:
            ws = await open_socket(urls[(number + reloads) % len(urls)])
            await authenticate(ws, token)
            taking = Candidate(ws, sent=1000 * reloads)  # message ids stay unique across reloads
            await taking.start()
            while stop.running():
                await asyncio.sleep(rng.uniform(0.5, 2.0))
                if rng.random() < RELOAD_CHANCE:
                    break
                if rng.random() < HEARTBEAT_CHANCE:
                    await ws.send(json.dumps({"type": "heartbeat", "data": {}, "id": "hb"}))
                feedback_ms, ended = await taking.answer()
                window[0].answers_ms.append(feedback_ms)
                if ended:
                    await taking.start()
        except Exception as exc:
            window[0].failures += 1
            print(f"    candidate {number}: {failure_name(exc)}", flush=True)
            await asyncio.sleep(1.0)
        finally:
            reloads += 1
            if ws is not None:
                await close_all([ws])


async def poll_http(http_urls: list[str], token: str, window: list[Window], stop: Stop) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        n = 0
        while stop.running():
            base = http_urls[n % len(http_urls)]
            n += 1
            try:
                health = await client.get(f"{base}/api/health/")
                me = await client.get(f"{base}/api/me/", headers={"Authorization": f"Bearer {token}"})
                if health.status_code != 200 or me.status_code != 200:
                    window[0].failures += 1
            except httpx.HTTPError:
                window[0].failures += 1
            await asyncio.sleep(1.0)


async def sampler(
    workers: list[cluster.Server], database: str, redis_db: int, window: list[Window], every: float, stop: Stop
) -> list[Sample]:
    began, samples = time.monotonic(), list[Sample]()
    counters = await asyncio.to_thread(database_counters, database)
    cpu, wall = time.process_time(), time.monotonic()
    while stop.running():
        await stop.sleep_until(began + every * (len(samples) + 1))
        done, window[0] = window[0], Window()
        latest = await asyncio.to_thread(database_counters, database)
        cpu_now, wall_now = time.process_time(), time.monotonic()
        sample = Sample(
            minute=(time.monotonic() - began) / 60,
            rss_mb=[worker.rss_kb() / 1024 for worker in workers],
            backends=await asyncio.to_thread(backends, database),
            redis_keys=await asyncio.to_thread(redis_keys, redis_db),
            answers=len(done.answers_ms),
            failures=done.failures,
            p50_ms=percentile(done.answers_ms, 0.50),
            p99_ms=percentile(done.answers_ms, 0.99),
            database=database_window(counters, latest),
            load=os.getloadavg()[0],
            client_cpu=100 * (cpu_now - cpu) / max(wall_now - wall, 1e-9),
        )
        counters, cpu, wall = latest, cpu_now, wall_now
        samples.append(sample)
        print("    " + row(sample), flush=True)
    return samples


def row(s: Sample) -> str:
    rss = " / ".join(f"{mb:.0f}" for mb in s.rss_mb)
    p50 = f"{s.p50_ms:.1f}" if s.p50_ms is not None else "-"
    p99 = f"{s.p99_ms:.1f}" if s.p99_ms is not None else "-"
    db = s.database
    maintained = ", ".join(db.maintained) or "-"
    return (
        f"| {s.minute:.1f} | {rss} | {s.backends} | {s.redis_keys} | {s.answers:,} | {s.failures} | {p50} | {p99} "
        f"| {db.size_mb:.0f} | {db.dead_rows:,} | {db.checkpoints} | {maintained} | {s.load:.2f} | {s.client_cpu:.0f} |"
    )


HEADER = (
    "| minute | RSS w1 / w2 (MB) | backends | Redis keys | answers | failures | p50 ms | p99 ms "
    "| database MB | dead rows | checkpoints | autovacuum / autoanalyze | load | client CPU % |"
)
RULE = "| --- " * HEADER.count(" | ") + "| --- |"


def split_p99(samples: list[Sample], slow: Callable[[Sample], bool]) -> str:
    """The mean p99 of the windows where `slow` holds against the others, with how many of each."""
    with_it = [s.p99_ms for s in samples if s.p99_ms is not None and slow(s)]
    without = [s.p99_ms for s in samples if s.p99_ms is not None and not slow(s)]

    def mean(values: list[float]) -> str:
        return f"{statistics.fmean(values):.1f} ms" if values else "-"

    return f"{mean(with_it)} in {len(with_it)} windows against {mean(without)} in {len(without)}"


def summary(samples: list[Sample]) -> list[str]:
    """The second half against the first: what grew, and by how much."""
    half = len(samples) // 2
    first, second = samples[1:half] or samples[:1], samples[half:]  # the first sample still warms up

    def mean(values: list[float]) -> float:
        return statistics.fmean(values) if values else 0.0

    rss_first = [mean([s.rss_mb[i] for s in first]) for i in range(len(samples[0].rss_mb))]
    rss_second = [mean([s.rss_mb[i] for s in second]) for i in range(len(samples[0].rss_mb))]
    p99_first = mean([s.p99_ms for s in first if s.p99_ms is not None])
    p99_second = mean([s.p99_ms for s in second if s.p99_ms is not None])
    answers, failures = sum(s.answers for s in samples), sum(s.failures for s in samples)
    return [
        f"- {answers:,} answers, {failures} failures (connections or HTTP requests that did not succeed).",
        "- Worker RSS, mean of the first half -> the second: "
        + ", ".join(
            f"{a:.0f} -> {b:.0f} MB ({100 * (b - a) / a:+.1f}%)" for a, b in zip(rss_first, rss_second, strict=True)
        )
        + ".",
        f"- Backends on the database: {min(s.backends for s in samples)}-{max(s.backends for s in samples)}; "
        f"Redis keys: {min(s.redis_keys for s in samples)}-{max(s.redis_keys for s in samples)}.",
        f"- submit -> answer_feedback p99, mean of the windows: first half {p99_first:.1f} ms, second half {p99_second:.1f} ms.",
        f"- Database {samples[0].database.size_mb:.0f} -> {samples[-1].database.size_mb:.0f} MB. "
        f"p99 with a checkpoint in the window: {split_p99(samples[1:], lambda s: s.database.checkpoints > 0)}; "
        f"with an autovacuum or autoanalyze: {split_p99(samples[1:], lambda s: bool(s.database.maintained))}.",
        f"- Load {min(s.load for s in samples):.2f}-{max(s.load for s in samples):.2f}; the soak client's CPU "
        f"{min(s.client_cpu for s in samples):.0f}-{max(s.client_cpu for s in samples):.0f}% of a core.",
    ]


def section(samples: list[Sample], *, args: argparse.Namespace, commit: str, postgres: str) -> str:
    minutes, candidates, every = args.minutes, args.candidates, args.every
    lines = [
        "## Soak",
        "",
        f"`python -m benchmarks.soak --minutes {minutes:g} --candidates {candidates} --postgres {args.postgres}` "
        f"at commit `{commit}`, {report.now():%Y-%m-%d %H:%M} UTC: {candidates} candidates reading 0.5-2 s per "
        f"question, reloading about once in 30 answers, and an HTTP poller, against two workers; a sample every "
        f"{every:g} s. PostgreSQL ({args.postgres} server): {postgres}.",
        "",
        *summary(samples),
        "",
        HEADER,
        RULE,
        *(row(s) for s in samples),
    ]
    return "\n".join(lines)


async def soak(
    seed: cluster.Seed, workers: list[cluster.Server], database: str, redis_db: int, args: argparse.Namespace
) -> list[Sample]:
    stop = Stop(at=time.monotonic() + args.minutes * 60)
    asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stop.now)
    urls = [worker.url(f"/ws/assessment/{seed.test_id}/") for worker in workers]
    http_urls = [worker.url("").replace("ws://", "http://") for worker in workers]
    window = [Window()]
    load = [candidate(urls, token, n, window, stop) for n, token in enumerate(seed.tokens[: args.candidates])]
    tasks = [asyncio.ensure_future(c) for c in load]
    tasks.append(asyncio.ensure_future(poll_http(http_urls, seed.tokens[-1], window, stop)))
    samples = await sampler(workers, database, redis_db, window, args.every, stop)
    await asyncio.gather(*tasks, return_exceptions=True)
    return samples


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.soak", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30.0, help="how long the load runs (default 30)")
    parser.add_argument("--candidates", type=int, default=200, help="candidates answering at once (default 200)")
    parser.add_argument("--every", type=float, default=60.0, help="seconds between samples (default 60)")
    parser.add_argument(
        "--postgres",
        choices=["own", "shared"],
        default="own",
        help="own: a PostgreSQL server of the soak's own with the defaults (autovacuum on, fsync on); "
        "shared: the one on 127.0.0.1:5432, as configured (default own)",
    )
    parser.add_argument("--write", action="store_true", help=f"write the soak section of {OUTPUT}")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    cluster.raise_open_files_limit()
    log_dir = Path(tempfile.mkdtemp(prefix="jatayu-soak-"))
    own = OwnPostgres(fsync="on") if args.postgres == "own" else None
    if own is not None:
        own.start()
        cluster.use_postgres(own.port)
    postgres = server_settings()
    print(f"soak: {args.minutes:g} min, {args.candidates} candidates; logs in {log_dir}", flush=True)
    print(f"PostgreSQL ({args.postgres} server): {postgres}", flush=True)
    database, redis_db, workers = cluster.database_create(), None, []
    try:
        redis_db = cluster.redis_pick()
        env = cluster.environment(database=database, redis_db=redis_db)
        seed = cluster.django_prepare(env, users=args.candidates + 1, ai_questions=1)
        workers = [cluster.Server(f"w{i + 1}", "jatayu.asgi:application", env, log_dir) for i in range(2)]
        cluster.start_all(workers)
        print(HEADER, flush=True)
        samples = asyncio.run(soak(seed, workers, database, redis_db, args))
    finally:
        for worker in workers:
            worker.stop()
        problems = cluster.log_problems(log_dir)
        cluster.django_close()
        cluster.database_drop(database)
        if redis_db is not None:
            cluster.redis_release(redis_db)
        if own is not None:
            own.stop()
    print()
    print("\n".join(summary(samples)))
    for line in problems or ["server logs: no errors"]:
        print(line)
    if args.write:
        text = section(samples, args=args, commit=report.git_commit(), postgres=postgres)
        report.section_write("soak", text, OUTPUT)
        print(f"wrote the soak section of {os.path.relpath(OUTPUT)}")


if __name__ == "__main__":
    main()
