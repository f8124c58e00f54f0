"""ASGI entry point: `daphne jatayu.asgi:application` serves HTTP and WebSocket."""

import gc
import os
import pprint
import sys
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jatayu.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from jatayu.dev_key import LoopbackOnly, refuse_public_binds  # noqa: E402
from realtime.middleware import BrowserOriginValidator, QueryParamsMiddleware  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402


def _autobahn_debug_formatted_lazily() -> None:
    """autobahn pretty-prints its whole configuration for a debug line on every new WebSocket, whether
    debug logging is on or not: about a tenth of a worker's CPU in a storm of connects. Format it only
    if the line is ever written."""
    try:
        from autobahn.websocket import protocol as autobahn_protocol
    except ImportError:  # not under daphne
        return

    class Lazily:
        def __init__(self, value: object) -> None:
            self.value = value

        def __format__(self, spec: str) -> str:
            return format(pprint.pformat(self.value), spec)

        def __str__(self) -> str:
            return pprint.pformat(self.value)

    autobahn_protocol.pformat = Lazily  # type: ignore[assignment]


def _registered_close_codes_allowed() -> None:
    """autobahn refuses to send any close code but 1000 and 3000-4999, so daphne raised on the
    registered 1012 (service restart) and 1013 (try again later) and the socket was left to time out.
    Send those two as they are; every other code still goes through autobahn's check."""
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:  # not under daphne
        return
    check_and_close = WebSocketProtocol.serverClose

    def server_close(self: WebSocketProtocol, code: int | None = None) -> None:
        if code in (1012, 1013):
            self.sendCloseFrame(code=code, isReply=False)
        else:
            check_and_close(self, code=code)

    WebSocketProtocol.serverClose = server_close


def _closed_connections_freed() -> None:
    """Two cycles outlived every WebSocket: the upgraded HTTP request and its channel (twisted keeps
    an unfinished request in `channel.requests`), and autobahn's `is_closed`, resolved with the
    protocol itself. The workers collect cycles rarely (below), so each closed connection stayed in
    memory, about 16 KB, until a full collection: a soak grew every worker by 1.6 MB a minute. Once
    daphne forgets a connection (closed, and its application done), break both."""
    try:
        from daphne.server import Server
        from twisted.internet.defer import Deferred
    except ImportError:  # not under daphne
        return
    check = Server.application_checker

    def application_checker(self: Server) -> None:
        before = list(self.connections)
        check(self)
        for protocol in before:
            if protocol in self.connections:
                continue
            requests = getattr(getattr(protocol, "channel", None), "requests", None)
            if requests is not None and protocol in requests:
                requests.remove(protocol)
            if getattr(protocol, "is_closed", None) is not None and protocol.is_closed.called:
                protocol.is_closed = Deferred()

    Server.application_checker = application_checker


_autobahn_debug_formatted_lazily()
_registered_close_codes_allowed()
_closed_connections_freed()

application: Any = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": BrowserOriginValidator(
            QueryParamsMiddleware(URLRouter(websocket_urlpatterns)), settings.ALLOWED_ORIGINS
        ),
    }
)

if settings.USING_DEV_SECRET_KEY:
    refuse_public_binds(sys.argv)
    application = LoopbackOnly(application)

# Thousands of long-lived connections make the default collector pause for 300-500 ms; moving
# start-up objects out of its reach and collecting less often brought heartbeat p99 to ~11 ms.
# JATAYU_GC_TUNING=0 turns this off (benchmarks/heartbeats.py compares the two).
if os.environ.get("JATAYU_GC_TUNING", "1") != "0":
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
