"""In-process socket clients: a `WebsocketCommunicator` through the real router, with protocol helpers."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from jatayu.asgi import application
from testsupport.expecting import Expecting
from testsupport.tokens import token_for

TIMEOUT = 3


class Client(Expecting):
    """A WebsocketCommunicator through the real router and middleware, with protocol helpers."""

    def __init__(self, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.ws = WebsocketCommunicator(application, path, headers=headers or [(b"origin", b"http://localhost")])
        self.counter = 0

    async def connect(self) -> None:
        connected, _ = await self.ws.connect(timeout=TIMEOUT)
        assert connected, "the server must accept before it closes"

    async def send(self, message_type: str, data: dict[str, Any] | None = None, *, id: str | None = None) -> None:
        payload: dict[str, Any] = {"type": message_type, "data": data or {}}
        if id is not None:
            payload["id"] = id
        await self.ws.send_json_to(payload)

    async def recv(self) -> dict[str, Any]:
        return await self.ws.receive_json_from(timeout=TIMEOUT)

    async def expect_close(self, code: int) -> None:
        output = await self.ws.receive_output(timeout=TIMEOUT)
        assert output == {"type": "websocket.close", "code": code}, output

    async def nothing(self) -> None:
        assert await self.ws.receive_nothing(timeout=0.2)

    async def auth(self, token: str) -> dict[str, Any]:
        await self.send("auth", {"token": token})
        (success,) = await self.expect("auth_success")
        return success


db = database_sync_to_async


@dataclass
class Started:
    client: Client
    test: Any
    user: Any
    started: dict[str, Any]
    question: dict[str, Any]


async def start_attempt(
    ws_clients: Callable[..., Client], *, questions: int = 6, total: int = 3, **test_fields: Any
) -> Started:
    """A published test with a bank, an enrolled candidate connected to it, and the attempt started."""
    from assessments.tests.factories import enrolled_candidate, published_test_with_bank

    test = await db(published_test_with_bank)(questions=questions, total_questions=total, **test_fields)
    user = await db(enrolled_candidate)(test=test)
    return await attempt_started(ws_clients, test=test, user=user)


async def attempt_started(ws_clients: Callable[..., Client], *, test: Any, user: Any) -> Started:
    """`user` connected to `test`, signed in, with an attempt started and its first question."""
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    await client.auth(token_for(user))
    await client.send("start_assessment", id="start")
    started, question = await client.expect("assessment_started", "question")
    return Started(client=client, test=test, user=user, started=started, question=question)
