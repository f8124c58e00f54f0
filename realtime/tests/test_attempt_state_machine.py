"""A hypothesis state machine over one candidate's attempts through the real router: connect,
start, answer, a duplicate answer, reconnect, takeover, extend, expire and a worker that dies
(its consumer cancelled, no disconnect run), in any order. After every step, from the database:

- at most one response per (attempt, question);
- every answer the server acknowledged (its `answer_feedback` with the message id) is stored, once;
- at most one attempt in progress per candidate and test;
- no answer written after its attempt's deadline and the grace for the one sent at time-up;
- and no socket ever closed with 1011 (or any undocumented code).
"""

import asyncio
import contextlib
import itertools
import json
import os
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from assessments import clock
from assessments import messages as msg
from assessments.errors import ApplicationError
from assessments.models import Assessment, Response
from assessments.services.attempt_control import assessment_extend, assessments_expire_due
from assessments.tests.factories import enrolled_candidate, published_test_with_bank
from realtime import protocol as p
from testsupport.sockets import Client, db
from testsupport.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)

DOCUMENTED_CLOSES = {int(code) for code in p.CloseCode}
UNDOCUMENTED_ERRORS = {msg.ErrorCode.INTERNAL_ERROR}


def _world() -> tuple[Any, Any]:
    test = published_test_with_bank(questions=6, total_questions=3, max_attempts=2)
    return test, enrolled_candidate(test=test)


class Attempts(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.test, self.user = self.run(db(_world)())
        self.path = f"/ws/assessment/{self.test.pk}/"
        self.live: Client | None = None
        self.question: int | None = None
        self.acked: dict[str, int] = {}
        self.closes: list[int] = []
        self.ids = (f"m{n}" for n in itertools.count())

    def run(self, awaitable: Any) -> Any:
        return self.loop.run_until_complete(awaitable)

    # ------------------------------------------------------------ talking to the socket

    async def _messages_until_probe(self, client: Client) -> list[dict[str, Any]]:
        """Everything the server sends before it answers a heartbeat; None-safe for closed sockets."""
        probe = next(self.ids)
        await client.send("heartbeat", id=probe)
        seen: list[dict[str, Any]] = []
        while True:
            output = await client.ws.receive_output(timeout=5)
            if output["type"] == "websocket.close":
                self.closes.append(output.get("code", 1000))
                return seen
            message = json.loads(output["text"])
            assert message["type"] in msg.SERVER_MESSAGES, message
            if message["type"] == "error":
                assert message["data"]["code"] not in UNDOCUMENTED_ERRORS, message
            if message["type"] == "pong" and message.get("ref") == probe:
                return seen
            seen.append(message)

    def _follow(self, messages: list[dict[str, Any]]) -> None:
        """Keep track of the question on screen and of acknowledged answers."""
        for message in messages:
            if message["type"] == "question":
                self.question = message["data"]["question_id"]
            elif message["type"] in ("assessment_completed", "session_replaced") or (
                message["type"] == "error" and message["data"]["code"] in ("assessment_expired", "assessment_finished")
            ):
                self.question = None

    async def _drain_superseded(self, old: Client) -> None:
        """A replaced socket hears session_replaced and is closed 4008 (or was already closed)."""
        while True:
            try:
                output = await old.ws.receive_output(timeout=5)
            except (asyncio.CancelledError, AssertionError):
                return  # its application already ended
            if output["type"] == "websocket.close":
                self.closes.append(output.get("code", 1000))
                assert output.get("code") == p.CloseCode.SESSION_REPLACED, output
                return

    # ------------------------------------------------------------ rules

    @rule()
    def connect(self) -> None:
        """A new tab or device (a takeover when a socket is open), or a reconnect after a close."""

        async def go() -> None:
            old, self.live = self.live, Client(self.path)
            await self.live.connect()
            await self.live.send("auth", {"token": token_for(self.user)})
            (hello,) = await self.live.expect("auth_success")
            snapshot = hello["data"]["assessment"]
            current = snapshot and snapshot.get("current_question")
            self.question = current["question_id"] if current and snapshot["status"] == "in_progress" else None
            if old is not None:
                await self._drain_superseded(old)
                await old.ws.disconnect()

        self.run(go())

    @precondition(lambda self: self.live is not None)
    @rule()
    def close(self) -> None:
        assert self.live is not None
        self.run(self.live.ws.disconnect())
        self.live, self.question = None, None

    @precondition(lambda self: self.live is not None)
    @rule()
    def worker_dies(self) -> None:
        """The consumer is cancelled mid-life: no disconnect handler, its session left as it was."""
        assert self.live is not None
        live, self.live, self.question = self.live, None, None

        async def die() -> None:
            live.ws.future.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # dying is the point
                await live.ws.future

        self.run(die())

    @precondition(lambda self: self.live is not None)
    @rule()
    def start(self) -> None:
        assert self.live is not None
        live = self.live

        async def go() -> list[dict[str, Any]]:
            await live.send("start_assessment", id=next(self.ids))
            return await self._messages_until_probe(live)

        self._follow(self.run(go()))

    @precondition(lambda self: self.live is not None and self.question is not None)
    @rule(option=st.integers(0, 3))
    def answer(self, option: int) -> None:
        assert self.live is not None
        assert self.question is not None
        live, question, ref = self.live, self.question, next(self.ids)

        async def go() -> list[dict[str, Any]]:
            await live.send("submit_answer", {"question_id": question, "selected_option": option}, id=ref)
            return await self._messages_until_probe(live)

        messages = self.run(go())
        if any(m["type"] == "answer_feedback" and m.get("ref") == ref for m in messages):
            self.acked[ref] = question
        self._follow(messages)

    @precondition(lambda self: self.live is not None and self.acked)
    @rule(data=st.data())
    def answer_again(self, data: st.DataObject) -> None:
        """A client that did not see its acknowledgement sends the same message again."""
        assert self.live is not None
        live = self.live
        ref = data.draw(st.sampled_from(sorted(self.acked)))

        async def go() -> list[dict[str, Any]]:
            await live.send("submit_answer", {"question_id": self.acked[ref], "selected_option": 0}, id=ref)
            return await self._messages_until_probe(live)

        messages = self.run(go())
        feedback = [m for m in messages if m["type"] == "answer_feedback"]
        assert all(m.get("ref") == ref for m in feedback), messages

    @rule(minutes=st.integers(1, 30))
    def extend(self, minutes: int) -> None:
        running = self._running()
        if running is not None:
            try:
                self.run(db(assessment_extend)(assessment_id=running, minutes=minutes))
            except ApplicationError as exc:  # it ended meanwhile (its deadline passed): the one refusal
                if exc.code != "assessment_finished":
                    raise

    @rule()
    def expire(self) -> None:
        """The deadline is reached, and the expiry worker's sweep runs."""
        running = self._running()
        if running is not None:
            now = timezone.now()
            deadline = now - clock.time_up_grace()  # and its grace
            self.run(db(lambda: Assessment.objects.filter(pk=running).update(deadline_at=deadline))())
            self.run(db(assessments_expire_due)(now=now + timedelta(milliseconds=1)))

    def _running(self) -> int | None:
        running = Assessment.objects.filter(candidate=self.user, test=self.test, status=Assessment.Status.IN_PROGRESS)
        return self.run(db(lambda: running.values_list("pk", flat=True).first())())

    # ------------------------------------------------------------ invariants

    def _rows(self) -> Any:
        return Response.objects.filter(assessment__candidate=self.user)

    @invariant()
    def one_response_per_attempt_and_question(self) -> None:
        doubled = self._rows().values("assessment_id", "question_id").annotate(n=Count("pk")).filter(n__gt=1)
        assert self.run(db(lambda: list(doubled))()) == []

    @invariant()
    def every_acknowledged_answer_is_stored_once(self) -> None:
        stored = self._rows().filter(answered_at__isnull=False, client_msg_id__in=list(self.acked))
        pairs = self.run(db(lambda: sorted(stored.values_list("client_msg_id", "question_id")))())
        assert pairs == sorted(self.acked.items())

    @invariant()
    def at_most_one_attempt_in_progress(self) -> None:
        running = Assessment.objects.filter(candidate=self.user, test=self.test, status=Assessment.Status.IN_PROGRESS)
        assert self.run(db(running.count)()) <= 1

    @invariant()
    def no_answer_after_its_deadline(self) -> None:
        """Beyond the grace for the answer sent at time-up."""
        rows = self._rows().filter(answered_at__isnull=False).values_list("answered_at", "assessment__deadline_at")
        grace = clock.time_up_grace()
        late = [
            (answered, deadline)
            for answered, deadline in self.run(db(lambda: list(rows))())
            if answered > deadline + grace
        ]
        assert late == []

    @invariant()
    def never_an_undocumented_close(self) -> None:
        assert 1011 not in self.closes
        assert set(self.closes) <= DOCUMENTED_CLOSES, self.closes

    def teardown(self) -> None:
        if self.live is not None:
            self.run(self.live.ws.disconnect())
        self.loop.close()


Attempts.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=25,
    deadline=None,
    derandomize=os.environ.get("CI", "").lower() == "true",  # CI runs a fixed set; locally new ones
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@override_settings(WS_RATE_LIMIT=1000)
def test_attempts_keep_their_invariants_whatever_the_order(transactional_db) -> None:
    Attempts.TestCase("runTest").runTest()
