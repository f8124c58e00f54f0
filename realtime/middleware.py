"""ASGI middleware for the WebSocket stack: origin checking and moving the query token into the scope."""

from typing import Any
from urllib.parse import parse_qsl, urlencode

from channels.security.websocket import OriginValidator


class BrowserOriginValidator(OriginValidator):
    """Refuse browsers from foreign origins. A client that sends no Origin header is not a browser
    (the seeds' test clients, operators' scripts), so cross-site abuse does not apply to it."""

    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return True
        return bool(self.validate_origin(parsed_origin))


class QueryParamsMiddleware:
    """Take `token` and `test_id` out of the query string into the scope.

    The token is removed from `query_string`, so nothing downstream can log it. It is only read
    here; the consumer validates it after accepting the socket, so a refusal reaches the client as
    a close code rather than a failed handshake.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        params = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        token = next((v for k, v in params if k == "token"), None)
        test_id = next((v for k, v in params if k == "test_id"), None)
        kept = [(k, v) for k, v in params if k != "token"]
        scope = dict(scope, query_token=token, query_test_id=test_id, query_string=urlencode(kept).encode("latin-1"))
        return await self.app(scope, receive, send)
