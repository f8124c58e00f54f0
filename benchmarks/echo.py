"""The floor: a bare Channels consumer that echoes JSON, served by the same daphne as Jatayu.

    daphne -b 127.0.0.1 -p PORT benchmarks.echo:application

No database, no channel layer, no authentication: what is left of a round trip is daphne, the
WebSocket framing and one JSON decode and encode. The garbage collector is tuned as in
jatayu/asgi.py, so the two differ by what the application does, not by GC settings.
"""

import gc
from typing import Any

import django
from django.conf import settings

if not settings.configured:
    # No "default" channel layer: consumers get none, and register no channel anywhere.
    settings.configure(CHANNEL_LAYERS={}, INSTALLED_APPS=["channels"], USE_TZ=True)
    django.setup()

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.routing import ProtocolTypeRouter


class EchoConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self.send_json(content)


application = ProtocolTypeRouter({"websocket": EchoConsumer.as_asgi()})

gc.collect()
gc.freeze()
gc.set_threshold(50_000, 50, 100)
