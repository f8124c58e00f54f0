"""What both test clients (in-process and live) check the same way: the next messages' types, and an error's code."""

from typing import Any


class Expecting:
    async def recv(self) -> dict[str, Any]:
        raise NotImplementedError

    async def expect(self, *types: str) -> list[dict[str, Any]]:
        messages = [await self.recv() for _ in types]
        assert [m["type"] for m in messages] == list(types), messages
        return messages

    async def expect_error(self, code: str) -> dict[str, Any]:
        (error,) = await self.expect("error")
        assert error["data"]["code"] == code, error
        return error
