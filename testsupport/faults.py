"""Services of a fault test's own, started and stopped by the test: the shared Redis and PostgreSQL
of the machine are never touched."""

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_listening(port: int, *, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            time.sleep(0.05)
        else:
            return
    raise RuntimeError(f"{what} did not listen on {port} within {within} s")


class OwnRedis:
    """A redis-server on a free port, without persistence; `stop` kills it (an outage, not a shutdown)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_listening(self.port, within=10, what="the test's redis-server")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


class SilentLink:
    """A TCP relay in front of a worker that can go silent: after `cut()` it drops every byte both ways
    and closes nothing, as a network does when a laptop's Wi-Fi vanishes. Neither end sees a close."""

    def __init__(self, *, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.cut_at: float | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def cut(self) -> None:
        self.cut_at = time.monotonic()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self._writers += [writer, up_writer]
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pump(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while chunk := await source.read(65536):
                if self.cut_at is None:
                    sink.write(chunk)
                    await sink.drain()
        except ConnectionError:
            pass  # the worker dropped the connection it found silent: an end the link does not pass on
        # The other end closed: only a link that was not cut passes that on.
        if self.cut_at is None:
            sink.close()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


PG_BIN = Path("/usr/lib/postgresql") / (sorted(os.listdir("/usr/lib/postgresql")) or ["15"])[-1] / "bin"


class OwnPostgres:
    """A PostgreSQL server of the test's own (initdb into a temporary folder, on a free port, trust
    auth, no fsync unless `settings` say otherwise): `restart` is a real restart, every backend ended;
    the shared server is untouched."""

    def __init__(self, **settings: str) -> None:
        self.settings = {"listen_addresses": "127.0.0.1", "fsync": "off", **settings}
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="jatayu-pg-"))
        self.data = self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, *command], check=True, capture_output=True, timeout=120)  # noqa: S603

    def _pg_ctl(self, *args: str) -> None:
        options = " ".join([f"-p {self.port} -k {self.root}", *(f"-c {k}={v}" for k, v in self.settings.items())])
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), *args)

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")
        self._pg_ctl("-w", "start")

    def restart(self) -> None:
        """Stop (fast: every session is ended, as a restarted server does) and start again."""
        self._pg_ctl("-w", "-m", "fast", "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("-w", "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
