"""ASGI entry point: `daphne jatayu.asgi:application` serves HTTP and WebSocket."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jatayu.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from realtime.middleware import BrowserOriginValidator, QueryParamsMiddleware  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": BrowserOriginValidator(
            QueryParamsMiddleware(URLRouter(websocket_urlpatterns)), settings.ALLOWED_ORIGINS
        ),
    }
)

# Thousands of long-lived connections make the default collector pause for 300-500 ms; moving
# start-up objects out of its reach and collecting less often brought heartbeat p99 to ~11 ms.
# JATAYU_GC_TUNING=0 turns this off (benchmarks/heartbeats.py compares the two).
if os.environ.get("JATAYU_GC_TUNING", "1") != "0":
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
