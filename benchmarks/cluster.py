"""Bringing up what the benchmarks measure, and taking it down again whatever happened.

- a throw-away PostgreSQL database on 127.0.0.1:5432 (dropped at the end, `WITH (FORCE)`);
- a Redis database number on 127.0.0.1:6379 that holds no keys, marked as ours while we use it;
  at the end only the channel layer's keys and the mark are deleted (never FLUSHDB);
- Django in this process, to migrate, seed and issue tokens (the workers validate them);
- daphne processes: the Jatayu workers, the echo floor, and for P6 a worker with a stub model.

The shared PostgreSQL and Redis themselves are never stopped or reconfigured.
"""

import os
import random
import re
import resource
import secrets
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import redis

from jatayu.serving import DAPHNE_FLAGS

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_MARK = "jatayu:benchmarks:owner"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raise_open_files_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# ---------------------------------------------------------------- PostgreSQL and Redis


def use_postgres(port: int) -> None:
    """Point everything here (the databases, the workers' DATABASE_URL) at the server on `port`."""
    global PG_PORT
    PG_PORT = port


def postgres_admin() -> psycopg.Connection[Any]:
    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True)


DATABASE_PREFIX = "jatayu_bench_"


def database_create() -> str:
    name = f"{DATABASE_PREFIX}{os.getpid()}_{secrets.token_hex(3)}"
    with postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return name


def database_drop(name: str) -> None:
    with postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def databases_left_behind() -> list[str]:
    """Databases of earlier runs whose process is gone (killed before it could drop them)."""
    with postgres_admin() as admin:
        names = [row[0] for row in admin.execute("SELECT datname FROM pg_database").fetchall()]
    stale = []
    for name in names:
        pid_text = name.removeprefix(DATABASE_PREFIX).split("_")[0]
        if not name.startswith(DATABASE_PREFIX) or not pid_text.isdigit():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            stale.append(name)
        except PermissionError:
            pass  # a live process of another user
    return stale


def redis_pick() -> int:
    """A database number in 1-15 with no keys, marked as ours (SET NX) so another run skips it."""
    for db in random.sample(range(1, 16), 15):
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
        try:
            if client.dbsize() == 0 and client.set(REDIS_MARK, str(os.getpid()), nx=True, ex=6 * 3600):
                return db
        finally:
            client.close()
    raise RuntimeError("every Redis database 1-15 holds keys: none is free for the benchmarks")


def redis_release(db: int) -> None:
    """Delete what the channel layer and the workers left (their groups, channels, process marks and
    connection counters) and our mark; nothing else. A mark left behind would make the database look
    taken to the next run for a day (the marks' expiry)."""
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
    try:
        keys = [
            *client.scan_iter(match="asgi*", count=1000),
            *client.scan_iter(match="jatayu:*", count=1000),
            *client.scan_iter(match=":1:throttle_*", count=1000),  # the API's throttle counters
        ]
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
        client.delete(REDIS_MARK)
    finally:
        client.close()


def service_versions(db: int) -> dict[str, str]:
    with postgres_admin() as admin:
        row = admin.execute("SHOW server_version").fetchone()
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
    try:
        redis_version = str(client.info("server")["redis_version"])
    finally:
        client.close()
    return {"PostgreSQL": str(row[0]) if row else "unknown", "Redis": redis_version}


def redis_cpu_seconds(db: int) -> float:
    """Redis' own CPU time (the whole server's: it is shared, so this is an upper bound for our share)."""
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
    try:
        info = client.info("cpu")
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
    finally:
        client.close()


# ---------------------------------------------------------------- Django in this process


def environment(*, database: str, redis_db: int) -> dict[str, str]:
    """The variables of jatayu/settings.py (see .env.example) for the workers and for this process."""
    return {
        "DATABASE_URL": f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}",
        "REDIS_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}",
        "SECRET_KEY": "benchmark-only-" + secrets.token_urlsafe(32),
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "jatayu.settings",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "ALLOWED_ORIGINS": "127.0.0.1,localhost",
        "HTTPS_ONLY": "0",  # the load client speaks plain HTTP and ws:// to the workers
        "LOG_LEVEL": "WARNING",  # errors and warnings still reach the logs; per-connection INFO lines do not
        # Clients in P3 and P5 answer back to back, faster than a person could: lift the 20/s limit.
        "WS_RATE_LIMIT": "1000",
        # Every client connects from 127.0.0.1, thousands a minute: no per-address or per-user cap.
        "JATAYU_WS_CONNECTS_PER_USER": "0",
        "JATAYU_WS_CONNECTS_PER_ADDRESS": "0",
        "JWT_ACCESS_MINUTES": "240",
        "JATAYU_AI_PROVIDER": "offline",
        "PYTHONUNBUFFERED": "1",
        # JATAYU_* settings of the caller reach the workers, to compare them (JATAYU_DB_THREADS=1 ...).
        **{name: value for name, value in os.environ.items() if name.startswith("JATAYU_")},
    }


@dataclass(frozen=True)
class Seed:
    test_id: int
    ai_test_id: int
    tokens: list[str]  # one access token per candidate, in user order


def django_prepare(env: dict[str, str], *, users: int, ai_questions: int) -> Seed:
    """Migrate the new database, then seed the tests and `users` candidates with access tokens."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connections
    from rest_framework_simplejwt.tokens import AccessToken

    from assessments.tests.factories import published_test_with_bank

    call_command("migrate", verbosity=0, interactive=False)
    common = {"time_limit_minutes": 600, "requires_application": False}
    test = published_test_with_bank(questions=40, skills=4, total_questions=10, max_attempts=100_000, **common)
    ai_test = published_test_with_bank(questions=30, skills=3, total_questions=ai_questions, max_attempts=10, **common)
    user_model = get_user_model()
    password = make_password(None)  # unusable: the candidates only ever use tokens
    rows = [user_model(username=f"bench{i}", password=password) for i in range(users)]
    created = user_model.objects.bulk_create(rows, batch_size=2000)
    tokens = [str(AccessToken.for_user(user)) for user in created]
    connections.close_all()
    return Seed(test_id=test.pk, ai_test_id=ai_test.pk, tokens=tokens)


def django_close() -> None:
    """Close this process' database connections (if Django was ever set up), so DROP DATABASE meets none."""
    if "django.db" in sys.modules and os.environ.get("DJANGO_SETTINGS_MODULE"):
        from django.db import connections

        connections.close_all()


def ai_prepared_count(*, test_id: int) -> tuple[int, int]:
    """(questions after the first served from AI-prepared items, all questions after the first) in a test."""
    from django.db import connections

    from assessments.models import Question, Response

    asked = Response.objects.filter(assessment__test_id=test_id, position__gt=1)
    result = asked.filter(question__source=Question.Source.GENERATED).count(), asked.count()
    connections.close_all()
    return result


# ---------------------------------------------------------------- daphne processes


@dataclass
class Server:
    name: str
    app: str
    env: dict[str, str]
    log_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
                [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(self.port), *DAPHNE_FLAGS, self.app],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=raise_open_files_limit,
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if not self.running():
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{self.name} did not listen in {START_TIMEOUT:.0f} s:\n{self.log_tail()}"
                    ) from None
            else:
                return
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None or not self.running():
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)

    def cpu_seconds(self) -> float:
        """utime + stime of the process (all its threads), from /proc/PID/stat."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


LOGGED_PROBLEM = re.compile(r" (ERROR|WARNING|CRITICAL) |^[\w.]+(Error|Exception|Timeout)\w*: ")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ ")
DAPHNE_TASK = re.compile(r"<Task .*>> for connection <WebSocketProtocol [^>]*>")


def log_problems(log_dir: Path) -> list[str]:
    """What the server logs in `log_dir` complain about: each distinct warning, error or exception line
    (timestamps, numbers and task reprs folded) with how often it came, most frequent first."""
    lines = []
    for path in sorted(log_dir.glob("*.log")):
        seen: Counter[str] = Counter()
        for line in path.read_text(errors="replace").splitlines():
            if LOGGED_PROBLEM.search(line):
                line = DAPHNE_TASK.sub("<task> for connection <websocket>", TIMESTAMP.sub("", line))
                seen[re.sub(r"\d+", "N", line)[:160]] += 1
        if seen:
            lines.append(f"{path.name}: {sum(seen.values())} warning or error lines:")
            lines += [f"    {count:6,} x {text}" for text, count in seen.most_common(6)]
    return lines


def start_all(servers: list[Server]) -> None:
    for server in servers:
        server.start()
    for server in servers:
        server.wait_ready()


def cpu_of(servers: list[Server]) -> list[float]:
    return [server.cpu_seconds() if server.running() else 0.0 for server in servers]


def postgres_cpu_seconds() -> float:
    """CPU time of the machine's PostgreSQL: every `postgres` process, plus what the ones that exited
    left in their parent's cutime and cstime. It is the shared server's, so an upper bound for ours."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process exited while we looked
            continue
        name, _, rest = text.partition("(")[2].rpartition(")")
        if name == "postgres":
            fields = rest.split()
            total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU time the whole machine has spent busy since boot, all cores together (from /proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def machine_busy_now(seconds: float = 1.0) -> float:
    """How many cores' worth the machine is busy right now, over `seconds`."""
    before = machine_busy_seconds()
    time.sleep(seconds)
    return (machine_busy_seconds() - before) / seconds


def machine_quiet(*, below: float = 0.3, within: float = 90.0) -> tuple[float, float]:
    """Wait until the whole machine is busy under `below` cores for a second; (seconds waited, cores busy last)."""
    began = time.monotonic()
    busy = machine_busy_now()
    while busy >= below and time.monotonic() - began < within:
        busy = machine_busy_now()
    return time.monotonic() - began, busy


def settle(servers: list[Server], *, quiet: float = 0.10, within: float = 120.0) -> float:
    """Wait until every server uses under `quiet` of a core for two 0.5 s windows in a row; seconds waited."""
    began = time.monotonic()
    calm = 0
    while calm < 2 and time.monotonic() - began < within:
        before = cpu_of(servers)
        time.sleep(0.5)
        busiest = max((b - a) / 0.5 for a, b in zip(before, cpu_of(servers), strict=True))
        calm = calm + 1 if busiest < quiet else 0
    return time.monotonic() - began
