"""Channel-layer group names and the one way to send to them: after the transaction commits."""

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def user_group(user_id: int) -> str:
    return f"user_{user_id}"


def test_group(test_id: int) -> str:
    return f"test_{test_id}"


def send_to_group_on_commit(group: str, event: dict[str, Any]) -> None:
    """Queue a channel-layer group send for when the current transaction commits (at once if none).

    It is a fast path only (the database holds the state, epochs fence sessions): if Redis is
    unreachable the send is logged and dropped, and what committed is still answered as committed."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, event)

    transaction.on_commit(send, robust=True)
