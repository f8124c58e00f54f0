"""Real daphne processes for the live tests, and a `websockets` client to drive them.

What crosses processes (the kick-out of an older connection, events pushed from another process,
recovery after a crash) is only proven against separate processes: the in-process communicator
shares one channel layer and one memory with the code under test.

The workers serve `jatayu.settings` (not the test settings) with DEBUG off, against the test
database that pytest-django created and the Redis of REDIS_URL. Tests take them from the shared
`cluster` fixture (`testsupport/cluster.py`), or wrap `live_cluster` in a fixture of their own when
they bring their own Redis or PostgreSQL; either way the fixture also requests `transactional_db`:

- data the test commits is visible to the workers (no test transaction hides it);
- the workers are stopped before pytest-django truncates the tables, so none of them holds a
  connection or a lock while it does.
"""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, connections
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from jatayu.serving import DAPHNE_FLAGS
from testsupport.expecting import Expecting

REPO_ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
RECEIVE_TIMEOUT = 5.0  # seconds any single message may take to arrive
START_TIMEOUT = 30.0  # seconds a worker may take to listen
STOP_TIMEOUT = 10.0  # seconds a worker may take to exit on SIGTERM before it is killed
COMMAND_TIMEOUT = 60.0
CHANNEL_LAYER_KEYS = "asgi*"  # channels_redis' default prefix


# ---------------------------------------------------------------- environment


def live_database_url() -> str:
    """DATABASE_URL of the database this test process uses, which pytest-django created."""
    db = connection.settings_dict
    name = db["NAME"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        assert Path(str(name)).name.startswith("test_"), f"live workers must use the test database, not {name!r}"
        return f"sqlite://{Path(str(name)).resolve()}"
    assert str(name).startswith("test_"), f"live workers must use the test database, not {name!r}"
    userinfo = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        userinfo += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or ""
    if db.get("PORT"):
        host += f":{db['PORT']}"
    return f"postgres://{userinfo}@{host}/{quote(str(name), safe='')}"


def live_env(**overrides: str) -> dict[str, str]:
    """The environment of a worker or a management command: production settings on the test services."""
    env = dict(os.environ)
    if not os.environ.get("REDIS_URL"):  # one worker on the in-memory layer (tests marked sqlite_ok)
        env.pop("REDIS_URL", None)
        env["CHANNEL_LAYER"] = "memory"
    else:
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    env.update(
        DATABASE_URL=live_database_url(),
        SECRET_KEY=os.environ["SECRET_KEY"],  # jatayu.test_settings puts one there
        DJANGO_SETTINGS_MODULE="jatayu.settings",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="DEBUG",  # the most a worker ever logs: a token must not be in it either
        PYTHONUNBUFFERED="1",  # a SIGKILLed worker loses no log line
        # Sign-ins are counted in the shared Redis across tests; these tests sign in more than a person would.
        JATAYU_LOGIN_RATE="10000/min",
        JATAYU_API_RATE="100000/min",
        JATAYU_API_ANON_RATE="100000/min",
        JATAYU_EMAIL_TO_CONSOLE="1",  # the tests read the invitations a worker prints
    )
    env.update(overrides)
    return env


async def channel_layer_flush() -> None:
    """Drop the channel layer's groups and channels left in Redis by earlier tests or runs."""
    if not os.environ.get("REDIS_URL"):
        return  # the in-memory layer starts empty with each worker
    client = aioredis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        keys = [key async for key in client.scan_iter(match=CHANNEL_LAYER_KEYS, count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def free_ports(count: int) -> list[int]:
    """`count` distinct ports that were free a moment ago (all held open together while chosen)."""
    held = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            held.append(sock)
        return [sock.getsockname()[1] for sock in held]
    finally:
        for sock in held:
            sock.close()


# ---------------------------------------------------------------- one worker


@dataclass
class Worker:
    name: str
    port: int
    env: dict[str, str]
    log_dir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def stdout_path(self) -> Path:
        return self.log_dir / f"{self.name}.stdout.log"

    @property
    def stderr_path(self) -> Path:
        return self.log_dir / f"{self.name}.stderr.log"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def http_url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        with self.stdout_path.open("ab") as out, self.stderr_path.open("ab") as err:
            self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
                [
                    str(BIN / "daphne"),
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    *DAPHNE_FLAGS,
                    "jatayu.asgi:application",
                ],
                cwd=REPO_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def logs(self) -> str:
        return "".join(
            path.read_text(errors="replace") for path in (self.stdout_path, self.stderr_path) if path.exists()
        )

    async def wait_ready(self, within: float = START_TIMEOUT) -> None:
        """Wait until the port accepts; daphne only listens once the application has been imported."""
        deadline = time.monotonic() + within
        while True:
            if not self.running():
                raise RuntimeError(
                    f"{self.name} exited with {self.process and self.process.returncode}:\n{self.logs()}"
                )
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{self.name} did not listen on {self.port} in {within}s:\n{self.logs()}"
                    ) from None
                await asyncio.sleep(0.05)
            else:
                writer.close()
                await writer.wait_closed()
                return

    async def launch(self, *, tries: int = 3) -> None:
        """Start and wait until ready; on another port if the chosen one was taken in the meantime."""
        for attempt in range(1, tries + 1):
            self.start()
            try:
                await self.wait_ready()
            except RuntimeError:
                if self.running() or attempt == tries or "Address already in use" not in self.logs():
                    raise
                (self.port,) = free_ports(1)
            else:
                return

    async def kill(self) -> None:
        """SIGKILL: a crash, with no chance to close sockets or release sessions."""
        if self.running():
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            await asyncio.to_thread(self.process.wait, STOP_TIMEOUT)

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if the worker is still up after STOP_TIMEOUT."""
        if not self.running():
            return
        assert self.process is not None
        self.process.terminate()
        try:
            await asyncio.to_thread(self.process.wait, STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            await self.kill()


# ---------------------------------------------------------------- a client socket


class LiveSocket(Expecting):
    """One `websockets` client connection, with protocol helpers. Every receive has a timeout."""

    def __init__(self, ws: ClientConnection, worker: Worker) -> None:
        self.ws = ws
        self.worker = worker

    async def send(self, message_type: str, data: dict[str, Any] | None = None, *, id: str | None = None) -> None:
        payload: dict[str, Any] = {"type": message_type, "data": data or {}}
        if id is not None:
            payload["id"] = id
        await self.ws.send(json.dumps(payload))

    async def recv(self, within: float = RECEIVE_TIMEOUT) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), within)
        message = json.loads(raw)
        assert isinstance(message, dict), message
        return message

    async def expect_close(self, code: int) -> None:
        """The next thing to happen is that the server closes the socket with `code`."""
        try:
            message = await self.recv()
        except ConnectionClosed as exc:
            closed = exc
        else:
            pytest.fail(f"expected close {code}, got {message}")
        assert closed.rcvd is not None, f"the connection dropped without a close frame: {closed!r}"
        assert closed.rcvd.code == code, f"closed with {closed.rcvd.code}, expected {code}"

    async def expect_dropped(self) -> None:
        """The connection ends without a close frame (the server process died)."""
        try:
            message = await self.recv()
        except ConnectionClosed as exc:
            closed = exc
        else:
            pytest.fail(f"expected the connection to drop, got {message}")
        assert closed.rcvd is None, f"expected a dropped connection, got close {closed.rcvd}"

    async def nothing(self, within: float = 0.5) -> None:
        """Nothing arrives within `within` seconds, and the socket stays open."""
        try:
            message = await self.recv(within=within)
        except TimeoutError:
            return
        pytest.fail(f"expected nothing, got {message}")

    async def auth(self, token: str) -> dict[str, Any]:
        await self.send("auth", {"token": token})
        (success,) = await self.expect("auth_success")
        return success

    async def answer(
        self, question_id: int, selected_option: int | str, *, id: str | None = None, last: bool = False
    ) -> list[dict[str, Any]]:
        """Submit an answer: answer_feedback, progress_update, then the next question (the result if `last`)."""
        await self.send("submit_answer", {"question_id": question_id, "selected_option": selected_option}, id=id)
        return await self.expect("answer_feedback", "progress_update", "assessment_completed" if last else "question")

    async def close(self) -> None:
        await self.ws.close()


# ---------------------------------------------------------------- the cluster


@dataclass
class Cluster:
    workers: list[Worker]
    env: dict[str, str]
    sockets: list[LiveSocket] = field(default_factory=list)

    @property
    def w1(self) -> Worker:
        return self.workers[0]

    @property
    def w2(self) -> Worker:
        return self.workers[1]

    async def connect(self, worker: Worker, path: str, *, token: str | None = None) -> LiveSocket:
        """Open a socket to `worker`; `token` goes into the query string. Closed at teardown."""
        url = worker.ws_url(path) + (f"?token={quote(token, safe='')}" if token else "")
        ws = await connect(url, proxy=None, open_timeout=RECEIVE_TIMEOUT, close_timeout=2, compression=None)
        live = LiveSocket(ws, worker)
        self.sockets.append(live)
        return live

    async def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `manage.py <args>` as its own process, with the workers' environment."""
        return await asyncio.to_thread(
            subprocess.run,
            [str(BIN / "python"), "manage.py", *args],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )

    def logs(self) -> str:
        return "".join(worker.logs() for worker in self.workers)

    def tracebacks(self) -> list[str]:
        return [line for line in self.logs().splitlines() if "Traceback" in line or " ERROR " in line]

    async def close_sockets(self) -> None:
        for live in self.sockets:
            await live.close()

    async def stop(self) -> None:
        """Close every client socket, then stop every worker (idempotent)."""
        await self.close_sockets()
        await asyncio.gather(*(worker.stop() for worker in self.workers))


@asynccontextmanager
async def live_cluster(
    log_dir: Path, *, count: int = 2, env_overrides: dict[str, str] | None = None
) -> AsyncIterator[Cluster]:
    """`count` daphne workers on free ports, sharing the test database and Redis (and `env_overrides`)."""
    await channel_layer_flush()
    env = live_env(**(env_overrides or {}))
    workers = [
        Worker(name=f"w{i + 1}", port=port, env=env, log_dir=log_dir) for i, port in enumerate(free_ports(count))
    ]
    cluster = Cluster(workers=workers, env=env)
    try:
        await asyncio.gather(*(worker.launch() for worker in workers))
        yield cluster
    finally:
        await cluster.stop()
        # The thread that ran this test's database_sync_to_async calls keeps its connection (CONN_MAX_AGE),
        # which would make pytest-django's DROP DATABASE fail at the end of the session.
        await sync_to_async(connections.close_all)()
        for worker in workers:  # shown by pytest only when the test failed
            print(f"===== {worker.name} (port {worker.port}, pid {worker.process and worker.process.pid}) =====")
            print(worker.logs())
