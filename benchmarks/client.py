"""The load client: a few processes of their own, each owning a slice of the sockets.

The parent sends every client a command (a name and keyword arguments) over a pipe and waits for
all the answers, with a deadline. A client runs one asyncio loop with the garbage collector off (a
collection over 5,000 sockets' objects would stall every measurement in flight); it collects
between commands instead. Each answer carries the client's CPU time for that command.
"""

import asyncio
import contextlib
import gc
import json
import multiprocessing
import resource
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from benchmarks import load
from benchmarks.load import Candidates, Held, ServerError, failure_name, open_socket, wait_for_type

LATE_WAIT = 5.0  # seconds a missed kick-out is still waited for, to tell late from never (P4)


def raise_open_files_limit() -> None:
    """Let this process hold as many sockets as the hard limit allows (10,000 need more than 1,024)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# ---------------------------------------------------------------- P4 and the echo floor


async def kickouts(*, pairs: list[tuple[str, str, str]], at_once: int, within: float, until: float) -> dict[str, Any]:
    """For each (url_a, url_b, token): A holds the session, B takes it over; time B's auth -> A told.

    A not told `within` s is missed; it is then given LATE_WAIT s more, to tell a late kick from none.
    Pairs whose turn comes after `until` are not run (counted as `not_run`)."""
    gate = asyncio.Semaphore(at_once)
    latencies: list[float] = []
    late: list[float] = []
    missed = not_run = 0
    never: Counter[str] = Counter()  # why A was never told: how its wait ended, after which messages
    failures: Counter[str] = Counter()

    async def told(a: Any, seen: list[str]) -> float:
        """When A hears it was replaced: the `session_replaced` message, or else the 4008 close."""
        while True:
            try:
                message = await load.receive(a, within + LATE_WAIT)
            except load.ConnectionClosed as exc:
                if exc.rcvd is not None and exc.rcvd.code == 4008:
                    return time.monotonic()
                raise ServerError(f"closed_{exc.rcvd.code if exc.rcvd else 'dropped'}") from exc
            if message.get("type") == "session_replaced":
                return time.monotonic()
            seen.append(str(message.get("type")))

    async def pair(url_a: str, url_b: str, token: str) -> None:
        nonlocal missed, not_run
        async with gate:
            if time.monotonic() > until:
                not_run += 1
                return
            sockets = []
            step = "A connecting"
            try:
                a = await open_socket(url_a)
                sockets.append(a)
                await load.authenticate(a, token)
                step = "B connecting"
                b = await open_socket(url_b)
                sockets.append(b)
                seen: list[str] = []
                watch = asyncio.ensure_future(told(a, seen))
                step = "A waiting to be told"
                sent = time.monotonic()
                await b.send(json.dumps({"type": "auth", "data": {"token": token}}))
                try:
                    latencies.append((await asyncio.wait_for(asyncio.shield(watch), within) - sent) * 1000)
                except TimeoutError:
                    missed += 1
                    try:
                        late.append((await asyncio.wait_for(watch, LATE_WAIT) - sent) * 1000)
                    except Exception as exc:
                        never[f"{failure_name(exc)} after {','.join(seen) or 'nothing'}"] += 1
                step = "B authenticating"
                await wait_for_type(b, {"auth_success"}, load.REPLY_TIMEOUT)
            except Exception as exc:
                failures[f"{step}: {failure_name(exc)}"] += 1
            finally:
                await load.close_all(sockets)

    await asyncio.gather(*(pair(*p) for p in pairs))
    return {
        "latencies": latencies,
        "missed": missed,
        "late": late,
        "never": dict(never),
        "not_run": not_run,
        "failures": dict(failures),
    }


async def echo_closed_loop(*, url: str, count: int, start_at: float, duration: float) -> dict[str, Any]:
    """`count` sockets to the echo server, each sending the next message when the last came back."""
    message = json.dumps({"type": "submit_answer", "data": {"question_id": 1, "selected_option": 0}, "id": "a1"})
    sockets = await asyncio.gather(*(open_socket(url) for _ in range(count)))
    begin = max(start_at, time.monotonic())
    end = begin + duration
    trips: list[int] = []

    async def run(ws: Any) -> None:
        await load.sleep_until(begin)
        done = 0
        while time.monotonic() < end:
            await ws.send(message)
            await asyncio.wait_for(ws.recv(), load.REPLY_TIMEOUT)
            done += 1
        trips.append(done)

    try:
        await asyncio.gather(*(run(ws) for ws in sockets))
    finally:
        await load.close_all(list(sockets))
    return {"round_trips": sum(trips), "seconds": duration}


# ---------------------------------------------------------------- one client process


class State:
    def __init__(self) -> None:
        self.held = Held()
        self.candidates = Candidates()


COMMANDS: dict[str, Callable[..., Awaitable[dict[str, Any]]]] = {
    "open_connections": lambda s, **kw: load.open_connections(s.held, **kw),
    "heartbeats": lambda s, **kw: load.heartbeats(s.held, **kw),
    "close_held": lambda s, **kw: load.close_held(s.held),
    "prepare_candidates": lambda s, **kw: load.prepare_candidates(s.candidates, **kw),
    "answers_open_loop": lambda s, **kw: load.answers_open_loop(s.candidates, **kw),
    "answers_closed_loop": lambda s, **kw: load.answers_closed_loop(s.candidates, **kw),
    "whole_attempts": lambda s, **kw: load.whole_attempts(s.candidates, **kw),
    "close_candidates": lambda s, **kw: load.close_candidates(s.candidates),
    "kickouts": lambda s, **kw: kickouts(**kw),
    "echo_closed_loop": lambda s, **kw: echo_closed_loop(**kw),
}


async def serve(pipe: Connection) -> None:
    state = State()
    loop = asyncio.get_running_loop()
    while True:
        name, kwargs = await loop.run_in_executor(None, pipe.recv)
        if name == "stop":
            break
        cpu = time.process_time()
        try:
            result = await COMMANDS[name](state, **kwargs)
            result["ok"] = True
        except Exception as exc:
            result = {"ok": False, "error": f"{name}: {exc!r}"}
        result["cpu"] = time.process_time() - cpu
        gc.collect()  # between measurements, never during one
        pipe.send(result)
    await load.close_all([*state.held.sockets, *(c.ws for c in state.candidates.ready)])


def client_main(pipe: Connection) -> None:
    raise_open_files_limit()
    gc.disable()
    asyncio.run(serve(pipe))


class ClientPool:
    """`size` client processes; `call` gives each its own arguments and returns every answer."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.processes: list[BaseProcess] = []
        self.pipes: list[Connection] = []
        self.start()

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")  # no copy of the parent's Django or sockets
        for _ in range(self.size):
            parent, child = context.Pipe()
            process = context.Process(target=client_main, args=(child,), daemon=True)
            process.start()
            child.close()
            self.processes.append(process)
            self.pipes.append(parent)

    def call(self, name: str, per_client: list[dict[str, Any]], *, timeout: float) -> list[dict[str, Any]]:
        """Run `name` on every client at once; TimeoutError when one has not answered within `timeout` s."""
        assert len(per_client) == self.size
        for pipe, kwargs in zip(self.pipes, per_client, strict=True):
            pipe.send((name, kwargs))
        deadline = time.monotonic() + timeout
        results = []
        for pipe in self.pipes:
            if not pipe.poll(max(0.0, deadline - time.monotonic())):
                self.restart()
                raise TimeoutError(f"a load client did not finish {name} within {timeout:.0f} s (clients restarted)")
            try:
                results.append(pipe.recv())
            except EOFError:
                self.restart()
                raise RuntimeError(f"a load client died during {name} (clients restarted)") from None
        failed = [r["error"] for r in results if not r["ok"]]
        if failed:
            raise RuntimeError("; ".join(failed))
        return results

    def same(self, name: str, *, timeout: float, **kwargs: Any) -> list[dict[str, Any]]:
        return self.call(name, [kwargs] * self.size, timeout=timeout)

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(("stop", {}))
        for process in self.processes:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)
        self.processes.clear()
        self.pipes.clear()


def split(items: list[Any], parts: int) -> list[list[Any]]:
    """Deal `items` out round-robin into `parts` slices (client i gets items i, i + parts, ...)."""
    return [items[i::parts] for i in range(parts)]
