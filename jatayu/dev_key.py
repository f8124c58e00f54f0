"""The development SECRET_KEY, and the guard that keeps it on this machine.

With DEBUG=1 and no SECRET_KEY, tokens and sessions are signed with a key anyone can read in this
repository, so anyone who can reach the server can forge an administrator's token. A server holding
that key refuses to listen on anything but loopback, and refuses any request that arrived through a
non-loopback address of the machine (`runserver 0.0.0.0`, a container's published port).
"""

import ipaddress
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured

DEV_SECRET_KEY = "insecure-dev-only-key-do-not-use-in-production-0123456789"  # noqa: S105

REFUSAL = (
    "This server signs with the development SECRET_KEY (DEBUG=1 without SECRET_KEY), which is public: "
    "it serves loopback only. Set SECRET_KEY to serve other addresses."
)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_addresses(argv: Sequence[str]) -> list[str]:
    """The addresses a daphne command line binds (`-b`/`--bind`; daphne's default is 127.0.0.1), or
    `manage.py runserver HOST:PORT`."""
    hosts = []
    if len(argv) > 2 and argv[1] == "runserver" and not argv[2].startswith("-") and ":" in argv[2]:
        hosts.append(argv[2].rsplit(":", 1)[0])
    for index, arg in enumerate(argv):
        if arg in ("-b", "--bind") and index + 1 < len(argv):
            hosts.append(argv[index + 1])
        elif arg.startswith("--bind="):
            hosts.append(arg.split("=", 1)[1])
    return hosts


def refuse_public_binds(argv: Sequence[str]) -> None:
    public = [host for host in bind_addresses(argv) if not is_loopback(host)]
    if public:
        raise ImproperlyConfigured(f"{REFUSAL} Asked to bind {', '.join(public)}.")


class LoopbackOnly:
    """ASGI wrapper: an HTTP request or WebSocket that reached a non-loopback address is refused."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        server = scope.get("server")
        if scope["type"] in ("http", "websocket") and server and not is_loopback(str(server[0])):
            if scope["type"] == "http":
                await send(
                    {"type": "http.response.start", "status": 403, "headers": [(b"content-type", b"text/plain")]}
                )
                await send({"type": "http.response.body", "body": REFUSAL.encode()})
            else:
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)
