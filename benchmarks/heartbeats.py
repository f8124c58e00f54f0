"""Heartbeat latency with many idle connections on one daphne worker.

Starts daphne on a throw-away SQLite database, opens N authenticated WebSockets, then every
connection sends a heartbeat every `--interval` seconds for `--seconds`; prints pong latency
percentiles. Run it with `--no-gc-tuning` to see what the GC settings in jatayu/asgi.py buy.

    python -m benchmarks.heartbeats [--connections 1000] [--seconds 20] [--interval 2]
"""

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(env: dict[str, str], users: int) -> list[str]:
    """Migrate the database and return access tokens for `users` candidates."""
    code = (
        "import django; django.setup()\n"
        "from django.core.management import call_command; call_command('migrate', verbosity=0)\n"
        "from django.contrib.auth.models import User\n"
        "from rest_framework_simplejwt.tokens import AccessToken\n"
        f"users = [User.objects.get_or_create(username=f'bench{{i}}')[0] for i in range({users})]\n"
        "print('\\n'.join(str(AccessToken.for_user(u)) for u in users))\n"
    )
    out = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return out.stdout.split()


async def connection(
    url: str,
    token: str,
    seconds: float,
    interval: float,
    latencies: list[float],
    ready: asyncio.Barrier,
    connecting: asyncio.Semaphore,
) -> None:
    from websockets.asyncio.client import connect

    async with connecting:  # a few hundred handshakes at a time, as real clients arrive over time
        ws = await connect(url, max_queue=None, open_timeout=60)
        await ws.send(json.dumps({"type": "auth", "data": {"token": token}}))
        await ws.recv()
    async with ws:
        await ready.wait()  # measure steady state, not the authentication storm
        deadline = time.monotonic() + seconds
        await asyncio.sleep(interval * (hash(token) % 1000) / 1000)  # spread the beats
        while time.monotonic() < deadline:
            sent = time.perf_counter()
            await ws.send('{"type": "heartbeat", "data": {}}')
            await ws.recv()
            latencies.append((time.perf_counter() - sent) * 1000)
            await asyncio.sleep(interval)


async def run(url: str, tokens: list[str], seconds: float, interval: float) -> list[float]:
    latencies: list[float] = []
    ready = asyncio.Barrier(len(tokens))
    connecting = asyncio.Semaphore(200)
    started = time.monotonic()
    await asyncio.gather(*(connection(url, t, seconds, interval, latencies, ready, connecting) for t in tokens))
    print(f"(connecting and authenticating {len(tokens)} sockets took {time.monotonic() - started - seconds:.0f} s)")
    return sorted(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--no-gc-tuning", action="store_true", help="run daphne with the default GC settings")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": "benchmark-only-secret-key-0123456789",
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "DJANGO_SETTINGS_MODULE": "jatayu.settings",
            "WS_RATE_LIMIT": "1000",
            "JATAYU_WS_CONNECTS_PER_ADDRESS": "0",  # every client connects from 127.0.0.1
            "LOG_LEVEL": "WARNING",
            "JATAYU_GC_TUNING": "0" if args.no_gc_tuning else "1",
        }
        env.pop("REDIS_URL", None)
        tokens = prepare(env, args.connections)
        port = free_port()
        daphne = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "jatayu.asgi:application"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=open(os.environ.get("BENCH_DAPHNE_LOG", os.devnull), "w"),  # noqa: SIM115,
        )
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            latencies = asyncio.run(run(f"ws://127.0.0.1:{port}/ws/chat/", tokens, args.seconds, args.interval))
        finally:
            daphne.terminate()
            daphne.wait(10)

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, round(q * len(latencies)))]

    print(
        f"{args.connections} connections, one heartbeat each every {args.interval:.1f} s for {args.seconds:.0f} s, "
        f"GC tuning {'off' if args.no_gc_tuning else 'on'}"
    )
    print(
        f"pong latency over {len(latencies)} heartbeats: p50 {statistics.median(latencies):.1f} ms, "
        f"p99 {pct(0.99):.1f} ms, max {latencies[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
