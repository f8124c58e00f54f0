"""What one load-client process does, as coroutines over `websockets` (no Django here).

Every wait has a timeout. Times are `time.monotonic()`, which on Linux is one clock for every
process, so a schedule drawn up by the parent (`start_at` plus offsets) holds in every client.
Open-loop latencies are measured from the scheduled time, not from when the client got round to
sending, so a slow server cannot hide its queue by slowing the client down (coordinated omission);
each such command also reports its lag behind the schedule, to show whether the client kept up.
"""

import asyncio
import contextlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidMessage

OPEN_TIMEOUT = 10.0  # seconds for the TCP + WebSocket handshake
REPLY_TIMEOUT = 30.0  # seconds any expected reply may take
HEARTBEAT = json.dumps({"type": "heartbeat", "data": {}})


class ServerError(Exception):
    """The server answered with an `error` (or closed) where the client expected something else."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


async def open_socket(url: str) -> ClientConnection:
    return await connect(
        url,
        compression=None,
        open_timeout=OPEN_TIMEOUT,
        ping_interval=None,  # daphne pings the client; the client adds no traffic of its own
        close_timeout=2,
        max_queue=None,
        proxy=None,
    )


async def receive(ws: ClientConnection, within: float) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), within))
    if not isinstance(message, dict):
        raise ServerError("not_an_object")
    return message


async def wait_for_type(ws: ClientConnection, wanted: set[str], within: float) -> dict[str, Any]:
    """The next message of a `wanted` type, skipping others; an `error` or a close raises ServerError."""
    deadline = time.monotonic() + within
    while True:
        try:
            message = await receive(ws, max(0.001, deadline - time.monotonic()))
        except ConnectionClosed as exc:
            raise ServerError(f"closed_{exc.rcvd.code if exc.rcvd else 'dropped'}") from exc
        if message.get("type") in wanted:
            return message
        if message.get("type") == "error":
            raise ServerError(str(message.get("data", {}).get("code")))


def failure_name(exc: BaseException) -> str:
    if isinstance(exc, ServerError):
        return exc.code
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, InvalidMessage):
        # daphne closed the socket before its HTTP 101: the application had not accepted in time
        # (daphne's --websocket_connect_timeout, 5 s by default).
        return "closed_before_handshake"
    return type(exc).__name__


async def authenticate(ws: ClientConnection, token: str, within: float = REPLY_TIMEOUT) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "auth", "data": {"token": token}}))
    return await wait_for_type(ws, {"auth_success"}, within)


async def close_all(sockets: list[ClientConnection], *, at_once: int = 500) -> None:
    gate = asyncio.Semaphore(at_once)

    async def one(ws: ClientConnection) -> None:
        async with gate:
            with contextlib.suppress(Exception):  # closing is best effort
                await ws.close()

    await asyncio.gather(*(one(ws) for ws in sockets))


# ---------------------------------------------------------------- P1, P2: many connections


@dataclass
class Held:
    sockets: list[ClientConnection] = field(default_factory=list)


async def open_connections(
    held: Held, *, schedule: list[tuple[float, str, str]], start_at: float, auth_timeout: float
) -> dict[str, Any]:
    """Open one authenticated socket per (offset, url, token) at start_at + offset, and keep it."""
    latencies: list[float] = []
    lags: list[float] = []
    handshake: Counter[str] = Counter()
    auth: Counter[str] = Counter()

    async def one(offset: float, url: str, token: str) -> None:
        await sleep_until(start_at + offset)
        began = time.monotonic()
        lags.append(began - start_at - offset)
        try:
            ws = await open_socket(url)
        except Exception as exc:
            handshake[failure_name(exc)] += 1
            return
        try:
            await authenticate(ws, token, auth_timeout)
        except Exception as exc:
            auth[failure_name(exc)] += 1
            await close_all([ws])
            return
        latencies.append((time.monotonic() - began) * 1000)
        held.sockets.append(ws)

    await asyncio.gather(*(one(*item) for item in schedule))
    return {"latencies": latencies, "lags": lags, "handshake": dict(handshake), "auth": dict(auth)}


async def heartbeats(held: Held, *, interval: float, duration: float, start_at: float) -> dict[str, Any]:
    """Every held socket sends a heartbeat every `interval` s (at a random phase) for `duration` s."""
    latencies: list[float] = []
    lags: list[float] = []
    lost: Counter[str] = Counter()

    async def beat(ws: ClientConnection) -> None:
        moment = start_at + random.uniform(0, interval)
        while moment < start_at + duration:
            await sleep_until(moment)
            lags.append(time.monotonic() - moment)
            try:
                await ws.send(HEARTBEAT)
                await wait_for_type(ws, {"pong"}, interval)
            except Exception as exc:
                lost[failure_name(exc)] += 1
                if isinstance(exc, ServerError | ConnectionClosed):
                    return  # the socket is gone; its later beats are not sent
            else:
                latencies.append((time.monotonic() - moment) * 1000)
            moment += interval

    await asyncio.gather(*(beat(ws) for ws in held.sockets))
    still_open = sum(1 for ws in held.sockets if ws.close_code is None)
    return {"latencies": latencies, "lags": lags, "lost": dict(lost), "open": still_open}


async def close_held(held: Held) -> dict[str, Any]:
    count = len(held.sockets)
    await close_all(held.sockets)
    held.sockets.clear()
    return {"closed": count}


# ---------------------------------------------------------------- P3, P5, P6: candidates answering


@dataclass
class Candidate:
    ws: ClientConnection
    question_id: int | None = None
    sent: int = 0
    completed: int = 0

    async def start(self) -> None:
        """Start (or resume) an attempt and hold its current question."""
        await self.ws.send(json.dumps({"type": "start_assessment", "data": {}}))
        question = await wait_for_type(self.ws, {"question"}, REPLY_TIMEOUT)
        self.question_id = int(question["data"]["question_id"])

    async def answer(self) -> tuple[float, bool]:
        """Answer the current question with option 0: (ms to answer_feedback, whether the attempt ended)."""
        assert self.question_id is not None, "answer() needs a question: start() first"
        self.sent += 1
        payload = {"question_id": self.question_id, "selected_option": 0}
        sent = time.monotonic()
        await self.ws.send(json.dumps({"type": "submit_answer", "data": payload, "id": f"a{self.sent}"}))
        feedback = await wait_for_type(self.ws, {"answer_feedback"}, REPLY_TIMEOUT)
        feedback_ms = (time.monotonic() - sent) * 1000
        assert feedback["data"]["question_id"] == payload["question_id"], feedback
        following = await wait_for_type(self.ws, {"question", "assessment_completed"}, REPLY_TIMEOUT)
        if following["type"] == "assessment_completed":
            self.question_id = None
            self.completed += 1
            return feedback_ms, True
        self.question_id = int(following["data"]["question_id"])
        return feedback_ms, False


@dataclass
class Candidates:
    ready: list[Candidate] = field(default_factory=list)


async def prepare_candidates(
    pool: Candidates, *, targets: list[tuple[str, str]], start: bool, at_once: int = 25
) -> dict[str, Any]:
    """Connect and authenticate one candidate per (url, token), and start its attempt if `start`."""
    gate = asyncio.Semaphore(at_once)
    failures: Counter[str] = Counter()

    async def one(url: str, token: str) -> None:
        async with gate:
            try:
                ws = await open_socket(url)
            except Exception as exc:
                failures[f"handshake {failure_name(exc)}"] += 1
                return
            candidate = Candidate(ws)
            try:
                await authenticate(ws, token)
                if start:
                    await candidate.start()
            except Exception as exc:
                failures[failure_name(exc)] += 1
                await close_all([ws])
                return
            pool.ready.append(candidate)

    await asyncio.gather(*(one(url, token) for url, token in targets))
    return {"ready": len(pool.ready), "failures": dict(failures)}


async def answers_open_loop(pool: Candidates, *, offsets: list[float], start_at: float, grace: float) -> dict[str, Any]:
    """Answers offered at start_at + offset, each taken by whichever candidate is free.

    Latency runs from the scheduled time to the next `question` (or `assessment_completed`). What is
    still queued `grace` seconds after the last offset is never sent, and counted at its wait so far.
    """
    queue: asyncio.Queue[float] = asyncio.Queue()
    latencies: list[float] = []
    lags: list[float] = []
    errors: Counter[str] = Counter()
    end = start_at + (offsets[-1] if offsets else 0.0) + grace
    last_done = start_at

    async def feed() -> None:
        for offset in offsets:
            await sleep_until(start_at + offset)
            queue.put_nowait(start_at + offset)

    async def serve(candidate: Candidate) -> None:
        nonlocal last_done
        while time.monotonic() < end:
            try:
                scheduled = await asyncio.wait_for(queue.get(), max(0.001, end - time.monotonic()))
            except TimeoutError:
                return
            lags.append(time.monotonic() - scheduled)
            try:
                _, finished = await candidate.answer()
                last_done = time.monotonic()
                latencies.append((last_done - scheduled) * 1000)
                if finished:
                    await candidate.start()  # max_attempts is high: the same candidate starts again
            except Exception as exc:
                errors[failure_name(exc)] += 1
                pool.ready.remove(candidate)  # out of step with the server: not used again
                await close_all([candidate.ws])
                return

    await asyncio.gather(feed(), *(serve(c) for c in list(pool.ready)))
    finished_at = max(time.monotonic(), end)
    unsent: list[float] = []
    while not queue.empty():
        unsent.append((finished_at - queue.get_nowait()) * 1000)
    return {"latencies": latencies, "unsent": unsent, "lags": lags, "errors": dict(errors), "last_done": last_done}


async def answers_closed_loop(pool: Candidates, *, count: int, start_at: float, duration: float) -> dict[str, Any]:
    """`count` candidates answer back to back for `duration` s; answers completed inside the window."""
    end = start_at + duration
    done: list[int] = []
    latencies: list[float] = []
    errors: Counter[str] = Counter()

    async def run(candidate: Candidate) -> None:
        await sleep_until(start_at)
        answered = 0
        while time.monotonic() < end:
            try:
                feedback_ms, finished = await candidate.answer()
                if time.monotonic() <= end:
                    answered += 1
                    latencies.append(feedback_ms)
                if finished:
                    await candidate.start()
            except Exception as exc:
                errors[failure_name(exc)] += 1
                break
        done.append(answered)

    await asyncio.gather(*(run(c) for c in pool.ready[:count]))
    return {"answers": sum(done), "seconds": duration, "latencies": latencies, "errors": dict(errors)}


async def whole_attempts(pool: Candidates, *, start_at: float, reading: float, within: float) -> dict[str, Any]:
    """Every candidate starts at `start_at` and answers until assessment_completed, reading each question first."""
    feedback: list[float] = []
    next_question: list[float] = []
    errors: Counter[str] = Counter()
    finished: list[float] = []

    async def run(candidate: Candidate) -> None:
        await sleep_until(start_at)
        await candidate.start()
        while True:
            if reading:
                await asyncio.sleep(reading)
            sent = time.monotonic()
            feedback_ms, ended = await candidate.answer()
            feedback.append(feedback_ms)
            next_question.append((time.monotonic() - sent) * 1000)
            if ended:
                finished.append(time.monotonic() - start_at)
                return

    async def bounded(candidate: Candidate) -> None:
        try:
            await asyncio.wait_for(run(candidate), within)
        except Exception as exc:
            errors[failure_name(exc)] += 1

    await asyncio.gather(*(bounded(c) for c in pool.ready))
    return {
        "candidates": len(pool.ready),
        "finished": len(finished),
        "seconds": max(finished, default=0.0),
        "feedback": feedback,
        "next_question": next_question,
        "errors": dict(errors),
    }


async def close_candidates(pool: Candidates) -> dict[str, Any]:
    count = len(pool.ready)
    await close_all([c.ws for c in pool.ready])
    pool.ready.clear()
    return {"closed": count}
