"""What every scenario shares: the sizes (`Plan`), the running cluster and clients (`Context`), and helpers
to merge what the load clients report."""

import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.client import ClientPool, split
from benchmarks.cluster import (
    Seed,
    Server,
    cpu_of,
    machine_busy_seconds,
    machine_quiet,
    postgres_cpu_seconds,
    redis_cpu_seconds,
    settle,
)


@dataclass(frozen=True)
class Plan:
    connections: int = 10_000
    connect_rate: float = 500.0
    heartbeat_interval: float = 10.0
    heartbeat_seconds: float = 30.0
    answer_rate: float = 300.0
    answer_seconds: float = 20.0
    answer_grace: float = 10.0
    open_candidates: int = 200
    closed_candidates: int = 100
    closed_seconds: float = 20.0
    kick_pairs: int = 1000
    kick_at_once: int = 4  # takeovers are rare events: measure the kick, not a storm of connects (P1 does)
    kick_budget: float = 180.0
    attempts_many: int = 100
    attempts_few: int = 15
    ai_candidates: int = 3
    ai_questions: int = 8
    reading: float = 2.5
    model_seconds: float = 2.0
    clients: int = 2

    def users_needed(self) -> int:
        others = self.open_candidates + self.kick_pairs + self.attempts_many + self.attempts_few + self.ai_candidates
        return max(self.connections, WARM_UP + others)


QUICK = Plan(
    connections=1000,
    heartbeat_seconds=10.0,
    answer_seconds=5.0,
    answer_grace=3.0,
    open_candidates=60,
    closed_candidates=40,
    closed_seconds=4.0,
    kick_pairs=100,
    kick_budget=45.0,
    attempts_many=30,
    ai_candidates=2,
    ai_questions=4,
)
WARM_UP = 8


@dataclass(frozen=True)
class Spent:
    """CPU seconds over one `Context.usage` block."""

    servers: list[float] = field(default_factory=list)
    postgres: float = 0.0
    redis: float = 0.0
    machine: float = 0.0

    def per(self, count: int) -> str:
        """Milliseconds of CPU per operation, by who spent them."""
        if not count:
            return "no operations"
        servers, machine = 1000 * sum(self.servers) / count, 1000 * self.machine / count
        return (
            f"servers {servers:.2f} ms, PostgreSQL {1000 * self.postgres / count:.2f} ms, "
            f"Redis {1000 * self.redis / count:.3f} ms; the whole machine {machine:.2f} ms"
        )


@dataclass
class Context:
    plan: Plan
    pool: ClientPool
    workers: list[Server]
    echo: Server
    seed: Seed
    env: dict[str, str]
    redis_db: int
    log_dir: Path
    details: list[str] = field(default_factory=list)
    cursor: int = 0
    spent: Spent = field(default_factory=Spent)  # the last `usage` block's

    def say(self, line: str) -> None:
        print(line, flush=True)
        self.details.append(line)

    def take(self, count: int) -> list[str]:
        """The next `count` candidates' tokens (P1 uses the first N itself; the others are closed by then)."""
        tokens = self.seed.tokens[self.cursor : self.cursor + count]
        self.cursor += count
        return tokens

    def path(self, test_id: int | None = None) -> str:
        return f"/ws/assessment/{test_id or self.seed.test_id}/"

    def spread(self, tokens: list[str], servers: list[Server] | None = None) -> list[tuple[str, str]]:
        """(url, token) with the candidates dealt over the workers in turn."""
        servers = servers or self.workers
        return [(servers[i % len(servers)].url(self.path()), token) for i, token in enumerate(tokens)]

    def per_client(self, key: str, items: list[Any], **kwargs: Any) -> list[dict[str, Any]]:
        """One command's arguments per client: `kwargs`, and its own slice of `items` as `key`."""
        return [{**kwargs, key: part} for part in split(items, self.plan.clients)]

    @contextmanager
    def usage(self, label: str, servers: list[Server] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Print the servers' CPU time (from /proc) and the clients' over the block; clients' results go in the list."""
        servers = servers or self.workers
        results: list[dict[str, Any]] = []
        wall, cpu, redis_cpu = time.monotonic(), cpu_of(servers), redis_cpu_seconds(self.redis_db)
        machine, postgres = machine_busy_seconds(), postgres_cpu_seconds()
        yield results
        wall = time.monotonic() - wall
        self.spent = Spent(
            servers=[b - a for a, b in zip(cpu, cpu_of(servers), strict=True)],
            postgres=postgres_cpu_seconds() - postgres,
            redis=redis_cpu_seconds(self.redis_db) - redis_cpu,
            machine=machine_busy_seconds() - machine,
        )
        each = ", ".join(
            f"{s.name} {c:.1f} s ({100 * c / wall:.0f}%)" for s, c in zip(servers, self.spent.servers, strict=True)
        )
        client_cpu = sum(r.get("cpu", 0.0) for r in results)
        self.say(
            f"    {label}: {wall:.1f} s wall; server CPU {each}; load clients {client_cpu:.1f} s; "
            f"PostgreSQL {self.spent.postgres:.1f} s; Redis {self.spent.redis:.1f} s; "
            f"machine busy {self.spent.machine / wall:.2f} of {os.cpu_count()} cores"
        )

    def quiet(self, scenario_id: str, within: float) -> None:
        """Before a scenario: our servers are idle by now, so what keeps the machine busy is other work."""
        waited, busy = machine_quiet(within=within)
        if busy >= 0.3:
            self.say(f"(before {scenario_id}, other work kept the machine {busy:.2f} cores busy: it is in the figures)")
        elif waited > 2:
            self.say(f"(before {scenario_id}, waited {waited:.0f} s for other work on the machine to stop)")

    def settle(self, what: str) -> None:
        waited = settle([*self.workers, self.echo])
        if waited > 3:
            self.say(f"    ({what}: the servers were busy for another {waited:.0f} s)")


def merged(results: list[dict[str, Any]], key: str) -> list[Any]:
    return [item for r in results for item in r[key]]


def counted(results: list[dict[str, Any]], key: str) -> Counter[str]:
    total: Counter[str] = Counter()
    for r in results:
        total.update(r[key])
    return total


def warm_up(ctx: Context) -> None:
    """A few candidates answer on both workers, so first-use costs land before anything is measured."""
    pool = ctx.pool
    pool.call("prepare_candidates", ctx.per_client("targets", ctx.spread(ctx.take(WARM_UP)), start=True), timeout=60)
    pool.same("answers_closed_loop", count=WARM_UP, start_at=time.monotonic() + 0.5, duration=2.0, timeout=60)
    pool.same("close_candidates", timeout=30)
    pool.same("echo_closed_loop", url=ctx.echo.url("/"), count=2, start_at=0.0, duration=1.0, timeout=30)
    ctx.settle("warm-up")


def codes(counts: Counter[str]) -> str:
    return ", ".join(f"{code} {n}" for code, n in counts.most_common(4))
