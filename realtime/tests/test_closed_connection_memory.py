"""What daphne leaves of a closed WebSocket is freed by reference counting, not by a full collection.

The workers collect cycles rarely (jatayu/asgi.py), so every cycle a closed connection keeps is
memory held for hours: a 30-minute soak grew each worker by 1.6 MB a minute before these fixes.
"""

import gc
from types import SimpleNamespace
from typing import Any, cast

from daphne.server import Server
from twisted.internet import reactor
from twisted.internet.defer import Deferred

import jatayu.asgi  # noqa: F401 - installs the daphne patches


class Protocol:
    """What of daphne's protocols the patch reads: an HTTP request's channel, a WebSocket's future."""

    def __init__(self, *, channel: Any = None, is_closed: "Deferred[Any] | None" = None) -> None:
        self.channel, self.is_closed = channel, is_closed


def test_daphne_forgetting_a_connection_breaks_the_cycles_it_kept():
    server = Server(application=None, endpoints=["tcp:port=0:interface=127.0.0.1"], signal_handlers=False)
    channel = SimpleNamespace(requests=[])
    upgraded = Protocol(channel=channel)  # the HTTP request daphne upgraded to a WebSocket
    channel.requests.append(upgraded)
    closed: Deferred[Any] = Deferred()
    websocket = Protocol(is_closed=closed)
    closed.callback(websocket)  # autobahn resolves it with the protocol itself
    live = Protocol(channel=SimpleNamespace(requests=[]), is_closed=Deferred())
    live.channel.requests.append(live)
    server.connections = {upgraded: {"disconnected": 1.0}, websocket: {"disconnected": 1.0}, live: {}}

    server.application_checker()
    for call in cast(Any, reactor).getDelayedCalls():  # it schedules itself again a second later
        call.cancel()

    assert list(server.connections) == [live]
    assert channel.requests == []
    assert websocket.is_closed is not None
    assert not websocket.is_closed.called
    assert live.channel.requests == [live]  # a connection daphne still serves is left alone
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        del upgraded, websocket, channel, closed
        gc.collect()
        in_cycles = [o for o in gc.garbage if isinstance(o, (Protocol, SimpleNamespace))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert in_cycles == []
