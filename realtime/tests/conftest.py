from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from testsupport.sockets import Client


@pytest.fixture
async def ws_clients() -> AsyncIterator[Callable[..., Client]]:
    """Make clients; every one of them is disconnected at the end of the test."""
    made: list[Client] = []

    def make(path: str, **kwargs: Any) -> Client:
        client = Client(path, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        if client.ws.future.cancelled():
            continue  # a test cancelled its application (a consumer killed without disconnect)
        await client.ws.disconnect()
