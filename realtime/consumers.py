"""The candidate's WebSocket. Thin: authenticate, call one service per client message, send what it
returns. Frames are parsed and refused in `realtime.framing`, and outages, groups and timers are
handled in `realtime.resilient`. State that matters lives in the database."""

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib.auth.models import User

from assessments import clock
from assessments import messages as msg
from assessments.ai import providers
from assessments.ai.tutoring import ChatTurn, tutor_reply
from assessments.broadcast import test_group, user_group
from assessments.errors import ApplicationError
from assessments.services import answers, attempts, chat
from assessments.services.attempts import Connection, Outcome
from assessments.services.events import pushed_of
from assessments.services.generation import next_question_prepare
from assessments.services.sessions import session_release
from realtime import protocol as p
from realtime.admission import connection_counted
from realtime.auth import token_claims, user_active
from realtime.db import db
from realtime.framing import DATABASE_UNAVAILABLE, FramedJsonConsumer
from realtime.liveness import Held, worker_liveness

logger = logging.getLogger(__name__)
T = TypeVar("T")
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
WARNINGS_AT_SECONDS = (300, 60)
INTERRUPTED = "(The connection closed before the tutor finished this reply; please ask again.)"


class AssessmentConsumer(FramedJsonConsumer):
    conn: Connection | None

    async def connect(self) -> None:
        self.conn = None
        self.token_version = 0
        await self.accept()
        token = self.scope.get("query_token")
        if token:
            await self.authenticate(token)
        else:
            self._start_later("auth_timeout", settings.WS_AUTH_TIMEOUT_SECONDS, self._auth_timeout)

    async def disconnect(self, code: int) -> None:
        worker_liveness.drop(channel_name=self.channel_name)
        self._background_stop()
        try:
            if self.conn is not None:
                await db(session_release)(connection_id=self.conn.connection_id, epoch=self.conn.epoch)
        finally:
            await self._groups_leave()

    # ------------------------------------------------------------ frames

    async def dispatch_message(self, message_type: str, data: msg.Strict, ref: str | None) -> None:
        if message_type == "auth":
            if self.conn is not None:
                raise ApplicationError(msg.ErrorCode.ALREADY_AUTHENTICATED, "This connection is already authenticated.")
            auth = cast(p.AuthData, data)
            await self.authenticate(auth.token, reconnecting_epoch=auth.epoch)
            return
        if self.conn is None:
            await self.send_error(
                msg.ErrorCode.AUTH_REQUIRED,
                "Authenticate first: send {type: auth, data: {token}}.",
                close=p.CloseCode.AUTH_FAILED,
            )
            return
        await self.HANDLERS[message_type](self, data, ref)

    def user_label(self) -> object:
        return self.conn and self.conn.user.pk

    # ------------------------------------------------------------ authentication

    async def authenticate(self, token: str, *, reconnecting_epoch: int | None = None) -> None:
        """Check the token here, listen on the user's group (so no kick is missed), then claim the
        session and snapshot the attempt in one database call."""
        self._cancel_later("auth_timeout")
        try:
            claims = token_claims(token)
            test_id = self._requested_test_id()
            counted = connection_counted(user_id=claims.user_id, address=self._client_address())
            # The test's group and the connection counters too, in one round trip: joined before the claim.
            counts = await self._join(
                user_group(claims.user_id), *([test_group(test_id)] if test_id is not None else []), counting=counted
            )
            retry_after = counted.retry_after(counts)
            if retry_after is not None:
                await self.send_error(
                    msg.ErrorCode.RATE_LIMITED,
                    f"Too many new connections; connect again in {retry_after} s.",
                    close=p.CloseCode.RATE_LIMITED,
                    retry_after=retry_after,
                )
                return
            user, opened = await db(self._open)(claims.user_id, claims.version, test_id, reconnecting_epoch)
        except ApplicationError as exc:
            await self.send_error(exc.code, exc.message, close=p.CLOSING_ERRORS.get(exc.code, p.CloseCode.AUTH_FAILED))
            return
        except Exception:
            # Say, the channel layer is unreachable: an open socket that can never authenticate helps
            # nobody, a closed one reconnects.
            logger.exception("authenticating a connection failed")
            await self.send_error(
                msg.ErrorCode.INTERNAL_ERROR,
                "Something went wrong on our side; reconnecting will help.",
                close=p.CloseCode.TRY_AGAIN_LATER,
            )
            return
        self.conn = Connection(
            user=user, test_id=test_id, connection_id=opened.claim.connection_id, epoch=opened.claim.epoch
        )
        self.token_version = claims.version
        try:
            await self._set_up(opened, expires_at=claims.expires_at)
        except Exception:
            # Half set up (say, not in the test's group) is worse than closed: the client reconnects.
            logger.exception("setting up the connection of user %s failed", user.pk)
            await self.send_error(
                msg.ErrorCode.INTERNAL_ERROR,
                "Something went wrong on our side; reconnecting will help.",
                close=p.CloseCode.TRY_AGAIN_LATER,
            )

    def _open(
        self, user_id: int, token_version: int, test_id: int | None, reconnecting_epoch: int | None
    ) -> tuple[User, attempts.Opened]:
        user = user_active(user_id, token_version=token_version)
        opened = attempts.connection_open(
            user=user,
            test_id=test_id,
            channel_name=self.channel_name,
            worker=WORKER_ID,
            reconnecting_epoch=reconnecting_epoch,
        )
        return user, opened

    async def _set_up(self, opened: attempts.Opened, *, expires_at: datetime) -> None:
        """Send `auth_success`, start the timers, and only then keep the session seen."""
        conn = self.connection
        await self.send_message(opened.auth_success)
        if opened.snapshot_seq is not None:
            assessment_id, last_seq = opened.snapshot_seq
            self.sent_seq[assessment_id] = last_seq
        for notice in opened.notices:  # time given back for a lost connection: the snapshot shows it already
            await self.send_message(notice)
        self._start_later("token_expiry", (expires_at - clock.now()).total_seconds(), self._token_expired)
        self._watch_deadline(opened.assessment_id, opened.deadline)
        worker_liveness.hold(
            channel_name=self.channel_name,
            held=Held(
                connection_id=conn.connection_id,
                epoch=conn.epoch,
                groups=self.groups_joined,
                superseded=self._superseded,
            ),
            layer=self.channel_layer,
        )

    def _superseded(self) -> None:
        """A newer connection holds the session, and its kick-out did not arrive: act as if it had."""
        if self.conn is not None:
            event = {"connection_id": self.conn.connection_id, "epoch": self.conn.epoch + 1}
            self._start_task("superseded", self.session_replace(event))

    def _requested_test_id(self) -> int | None:
        kwargs = self.scope["url_route"]["kwargs"]
        if kwargs.get("general"):
            return None
        raw = kwargs.get("test_id", self.scope.get("query_test_id"))
        if raw is None or raw == "":
            raise ApplicationError(msg.ErrorCode.TEST_NOT_FOUND, "Name the test: /ws/assessment/<test_id>/.")
        try:
            return int(raw)
        except (TypeError, ValueError) as exc:
            raise ApplicationError(msg.ErrorCode.TEST_NOT_FOUND, f"Test {raw!r} does not exist.") from exc

    async def _auth_timeout(self) -> None:
        if self.conn is None:
            await self.send_error(
                msg.ErrorCode.AUTH_TIMEOUT, "No auth message arrived in time.", close=p.CloseCode.AUTH_FAILED
            )

    async def _token_expired(self) -> None:
        await self.send_error(
            msg.ErrorCode.TOKEN_EXPIRED,
            "The access token expired; reconnect with a fresh one.",
            close=p.CloseCode.AUTH_FAILED,
        )

    # ------------------------------------------------------------ client messages

    async def on_heartbeat(self, data: msg.Strict, ref: str | None) -> None:
        if (rtt_ms := cast(p.HeartbeatData, data).rtt_ms) is not None:  # the next answers are recorded with it
            self.conn = replace(self.connection, round_trip_ms=rtt_ms)
        now = clock.now()
        await self.send_message(msg.server_message("pong", msg.Pong(timestamp=now, server_time=now), ref=ref))

    async def on_start_assessment(self, data: msg.Strict, ref: str | None) -> None:
        test_id = cast(p.StartAssessmentData, data).test_id
        if test_id is not None and test_id != self.connection.test_id:
            raise ApplicationError(
                msg.ErrorCode.VALIDATION_ERROR, f"This connection is for test {self.connection.test_id}."
            )
        await self._run(attempts.assessment_start, ref, close_on_access_error=True)

    async def on_get_question(self, data: msg.Strict, ref: str | None) -> None:
        await self._run(attempts.question_current, ref)

    async def on_submit_answer(self, data: msg.Strict, ref: str | None) -> None:
        answer = cast(p.SubmitAnswerData, data)
        await self._run(answers.answer_submit, ref, **answer.model_dump())  # question_id, selected_option(s)

    async def on_complete_assessment(self, data: msg.Strict, ref: str | None) -> None:
        await self._run(attempts.assessment_complete, ref)

    async def on_chat_message(self, data: msg.Strict, ref: str | None) -> None:
        """The tutor streams in the background, so answers are not held up behind a slow model."""
        running = self.tasks.get("chat")
        if running is not None and not running.done():
            raise ApplicationError(msg.ErrorCode.CHAT_BUSY, "Wait for the tutor's reply before asking again.")
        chat_data = cast(p.ChatMessageData, data)
        message = chat_data.message
        turn = await self._call(chat.chat_begin, ref, message=message, question_id=chat_data.question_id)
        if turn is not None and turn.ended is not None:
            await self.send_message(turn.ended, assessment_id=turn.assessment_id)
            self._cancel_task("deadline")
        elif turn is not None:
            self._start_task("chat", self._chat(turn, message, ref))

    async def _chat(self, turn: ChatTurn, message: str, ref: str | None) -> None:
        tutor = providers.tutor()

        async def send_chunk(delta: str) -> None:
            await self.send_message(msg.server_message("chat_chunk", msg.ChatChunk(delta=delta), ref=ref))

        try:
            reply, blocked = await tutor_reply(tutor=tutor, turn=turn, message=message, on_chunk=send_chunk)
        except asyncio.CancelledError:
            # The socket closed mid-reply: keep the transcript whole and the tokens spent counted.
            await self._chat_interrupted(turn, tutor.usage, ref)
            raise
        final = await self._call(chat.chat_finish, ref, turn=turn, reply=reply, blocked_leak=blocked, usage=tutor.usage)
        if final is not None:
            await self.send_message(final, assessment_id=turn.assessment_id)

    async def _chat_interrupted(self, turn: ChatTurn, usage: providers.Usage, ref: str | None) -> None:
        try:
            await db(chat.chat_finish)(
                conn=self.connection, turn=turn, reply=INTERRUPTED, blocked_leak=False, usage=usage, ref=ref
            )
        except Exception:
            logger.warning("could not record an interrupted tutor reply", exc_info=True)

    async def on_resume(self, data: msg.Strict, ref: str | None) -> None:
        last_seq = cast(p.ResumeData, data).last_seq
        outcome = await db(attempts.events_replay)(conn=self.connection, last_seq=last_seq)
        for message in outcome.messages:
            await self.send_message(message, assessment_id=outcome.assessment_id)

    async def on_integrity_event(self, data: msg.Strict, ref: str | None) -> None:
        await self._run(attempts.integrity_record, ref, kind=cast(p.IntegrityEventData, data).kind)

    HANDLERS: dict[str, Callable[["AssessmentConsumer", msg.Strict, str | None], Awaitable[None]]] = {
        "heartbeat": on_heartbeat,
        "start_assessment": on_start_assessment,
        "get_question": on_get_question,
        "submit_answer": on_submit_answer,
        "complete_assessment": on_complete_assessment,
        "chat_message": on_chat_message,
        "resume": on_resume,
        "integrity_event": on_integrity_event,
    }

    async def _run(
        self, service: Callable[..., Outcome], ref: str | None, *, close_on_access_error: bool = False, **kwargs: Any
    ) -> None:
        """Call one service in a worker thread, then send its messages (they are committed by now)."""
        outcome = await self._call(service, ref, close_on_access_error=close_on_access_error, **kwargs)
        if outcome is None:
            return
        for message in outcome.messages:
            await self.send_message(message, assessment_id=outcome.assessment_id)
        if outcome.assessment_id and outcome.asks_question:
            self._prepare_next_question(outcome.assessment_id)
        if outcome.finished:
            self._cancel_task("deadline")
        elif not self._task_running("deadline"):  # a timer that already fired belongs to an earlier attempt
            self._watch_deadline(outcome.assessment_id, outcome.deadline)

    async def _call(
        self, service: Callable[..., T], ref: str | None, *, close_on_access_error: bool = False, **kwargs: Any
    ) -> T | None:
        """Run a service for this connection; on its domain error, answer (and close if it says so)."""
        try:
            return await db(service)(conn=self.connection, ref=ref, **kwargs)
        except ApplicationError as exc:
            close = p.CLOSING_ERRORS.get(exc.code)
            if not close_on_access_error and close == p.CloseCode.FORBIDDEN:
                close = None
            await self.send_error(exc.code, exc.message, ref=ref, close=close)
            return None
        except DATABASE_UNAVAILABLE:
            await self._database_unavailable(service.__name__, ref)
            return None

    def _prepare_next_question(self, assessment_id: int) -> None:
        """With an AI generator, prepare the next item while the candidate reads this one."""
        generator = providers.question_generator()
        if generator is not None and not (self.tasks.get("prepare") and not self.tasks["prepare"].done()):
            self._start_task("prepare", self._prepare(generator, assessment_id))

    async def _prepare(self, generator: providers.QuestionGenerator, assessment_id: int) -> None:
        try:
            await next_question_prepare(generator=generator, assessment_id=assessment_id)
        except Exception:
            logger.warning("preparing the next question failed; the bank will serve it", exc_info=True)

    # ------------------------------------------------------------ channel-layer events

    async def attempt_event(self, event: dict[str, Any]) -> None:
        """A logged message of this candidate's attempt, pushed by a service on any worker."""
        pushed = pushed_of(event)
        if self.conn is None or pushed.test_id != self.conn.test_id:
            return
        if pushed.seq <= self.sent_seq.get(pushed.assessment_id, 0):
            return
        await self.send_message(pushed.message, assessment_id=pushed.assessment_id)
        if pushed.ends_attempt:
            self._cancel_task("deadline")
        elif pushed.deadline is not None:
            self._watch_deadline(pushed.assessment_id, pushed.deadline)

    async def session_replace(self, event: dict[str, Any]) -> None:
        if self.conn is None or event["connection_id"] != self.conn.connection_id or event["epoch"] <= self.conn.epoch:
            return
        await self.send_error(
            msg.ErrorCode.SESSION_REPLACED,
            "This assessment continues in another window.",
            close=p.CloseCode.SESSION_REPLACED,
        )

    async def user_revoked(self, event: dict[str, Any]) -> None:
        """The user logged out or was deactivated: a socket signed in before that closes."""
        if self.conn is None or event["version"] <= self.token_version:
            return
        await self.send_error(
            msg.ErrorCode.AUTH_FAILED,
            "This sign-in has ended (logout or deactivation); sign in again.",
            close=p.CloseCode.AUTH_FAILED,
        )

    async def test_announcement(self, event: dict[str, Any]) -> None:
        if self.conn is not None:
            await self.send_message(event["message"])

    # ------------------------------------------------------------ timer

    def _watch_deadline(self, assessment_id: int | None, deadline: datetime | None) -> None:
        self._cancel_task("deadline")
        if assessment_id is not None and deadline is not None:
            self._start_task("deadline", self._deadline_timer(assessment_id, deadline))

    async def _deadline_timer(self, assessment_id: int, deadline: datetime) -> None:
        """The fast path to `timed_out`: `expire_assessments` and lazy checks cover a dead connection."""
        for warn_at in WARNINGS_AT_SECONDS:
            wait = (deadline - clock.now()).total_seconds() - warn_at
            if wait > 0:
                await asyncio.sleep(wait)
                await self.send_message(msg.server_message("time_warning", msg.TimeWarning(seconds_left=warn_at)))
        # After the grace in which the answer sent at time-up still counts; the event loop's clock may
        # wake a hair before the wall clock says that time has come.
        ends = deadline + clock.time_up_grace()
        await asyncio.sleep(max(0.0, (ends - clock.now()).total_seconds()) + 0.05)
        outcome = await db(attempts.events_replay)(conn=self.connection, last_seq=self.sent_seq.get(assessment_id, 0))
        if outcome.assessment_id != assessment_id:  # the latest attempt is another one: not ours to replay
            return
        for message in outcome.messages:
            await self.send_message(message, assessment_id=assessment_id)

    # ------------------------------------------------------------ helpers

    @property
    def connection(self) -> Connection:
        """The authenticated connection; handlers run only after authentication."""
        if self.conn is None:
            raise RuntimeError("a handler ran before authentication")
        return self.conn
