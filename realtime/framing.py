"""Frames in, errors out: the protocol's envelope around Jatayu's consumer.

Each text frame is size-checked, decoded, validated against `realtime.protocol` and dispatched;
every refusal is a documented `error` (and, where the protocol says so, a close). Sending keeps each
attempt's highest seq sent, so a replay never repeats one. The rate limit and the answer to a
database that did not answer (`retryable_error`) live here too.
"""

import json
import logging
import time
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError

from assessments import messages as msg
from assessments.errors import ApplicationError
from realtime import protocol as p
from realtime.resilient import ResilientJsonConsumer

logger = logging.getLogger(__name__)
# The database timed out, restarted or is out of connections: the transaction rolled back, and the
# same message again (same id) is recorded once.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


class FramedJsonConsumer(ResilientJsonConsumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rate_window_start = time.monotonic()
        self.rate_count = 0
        self.sent_seq: dict[int, int] = {}  # assessment id -> highest seq sent; each attempt counts from 1

    async def dispatch_message(self, message_type: str, data: msg.Strict, ref: str | None) -> None:
        raise NotImplementedError

    async def send_message(self, message: dict[str, Any], *, assessment_id: int | None = None) -> None:
        """Send one message; one from an attempt's log (with `seq`) raises that attempt's high-water mark."""
        seq = message.get("seq")
        if seq is not None and assessment_id is not None:
            self.sent_seq[assessment_id] = max(self.sent_seq.get(assessment_id, 0), seq)
        await self.send_json(message)

    def user_label(self) -> object:
        """Who is on this connection, for the logs."""
        return None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if await self._over_rate_limit():
            return
        if text_data is None:
            await self.send_error(msg.ErrorCode.INVALID_MESSAGE, "Binary frames are not supported; send JSON text.")
            return
        if len(text_data.encode()) > settings.WS_MAX_MESSAGE_BYTES:
            await self.send_error(msg.ErrorCode.MESSAGE_TOO_LARGE, "Messages are limited to 64 KiB.")
            return
        try:
            raw = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            await self.send_error(msg.ErrorCode.INVALID_JSON, "The message is not valid JSON.")
            return
        try:
            message_type, data, ref = p.parse_client_message(raw)
        except p.ProtocolError as exc:
            await self.send_error(exc.code, exc.message, ref=exc.ref)
            return
        try:
            await self.dispatch_message(message_type, data, ref)
        except ApplicationError as exc:
            await self.send_error(exc.code, exc.message, ref=ref)
        except DATABASE_UNAVAILABLE:
            await self._database_unavailable(message_type, ref)
        except Exception:
            logger.exception("unhandled error on %s for user %s", message_type, self.user_label())
            await self.send_error(
                msg.ErrorCode.INTERNAL_ERROR, "Something went wrong on our side; please retry.", ref=ref
            )

    async def send_error(
        self,
        code: str,
        message: str,
        *,
        ref: str | None = None,
        close: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Send an `error` (and close if asked). A `session_replaced` error, on any path, comes after a
        `session_replaced` message, so clients can rely on that message alone."""
        if code == msg.ErrorCode.SESSION_REPLACED:
            await self.send_json(msg.server_message("session_replaced", msg.SessionReplaced()))
        await self.send_json(msg.error_message(str(code), message, ref=ref, retry_after=retry_after))
        if close is not None:
            await self.close(code=int(close))

    async def _over_rate_limit(self) -> bool:
        """More than WS_RATE_LIMIT messages a second: refused; more than twice that: closed (4029)."""
        now = time.monotonic()
        if now - self.rate_window_start >= 1.0:
            self.rate_window_start, self.rate_count = now, 0
        self.rate_count += 1
        limit = settings.WS_RATE_LIMIT
        if self.rate_count <= limit:
            return False
        if self.rate_count == limit + 1:
            await self.send_error(msg.ErrorCode.RATE_LIMITED, f"Slow down: at most {limit} messages a second.")
        elif self.rate_count == 2 * limit + 1:
            await self.send_error(msg.ErrorCode.RATE_LIMITED, "Too many messages.", close=p.CloseCode.RATE_LIMITED)
        return True

    async def _database_unavailable(self, what: str, ref: str | None) -> None:
        logger.warning("database unavailable for %s of user %s", what, self.user_label(), exc_info=True)
        await self.send_error(
            msg.ErrorCode.RETRYABLE_ERROR,
            "The database did not answer in time; send this again with the same id (it is recorded once).",
            ref=ref,
        )
