"""Liveness of what the platform needs: the database and the channel layer."""

import asyncio
import logging
import secrets

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection

logger = logging.getLogger(__name__)

OK = "ok"
CHANNEL_LAYER_TIMEOUT_SECONDS = 2.0


def database_check() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        logger.exception("health: database check failed")
        return f"error: {type(exc).__name__}"
    return OK


async def _channel_layer_roundtrip(*, limit_seconds: float) -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer is configured")
    nonce = secrets.token_hex(8)
    async with asyncio.timeout(limit_seconds):
        # The consumers' prefix: channels_redis reads one real channel per prefix at a time, and while
        # sockets are open their read holds it; a channel of another prefix waits for that read to time out.
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.ping", "nonce": nonce})
        message = await layer.receive(channel)
    if message.get("nonce") != nonce:
        raise RuntimeError("the channel layer returned another message")


def channel_layer_check(*, timeout: float = CHANNEL_LAYER_TIMEOUT_SECONDS) -> str:
    """Send a message to a fresh channel and read it back."""
    try:
        async_to_sync(_channel_layer_roundtrip)(limit_seconds=timeout)
    except TimeoutError:
        logger.error("health: channel layer gave no reply within %s s", timeout)  # noqa: TRY400 (a timeout has no useful traceback)
        return f"error: no reply within {timeout:g} s"
    except Exception as exc:
        logger.exception("health: channel layer check failed")
        return f"error: {type(exc).__name__}"
    return OK


def health_report() -> dict[str, str]:
    return {"database": database_check(), "channel_layer": channel_layer_check()}
