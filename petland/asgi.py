"""ASGI entry point: HTTP through Django, WebSockets through the real-time app."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "petland.settings")
django.setup(set_prefix=False)  # as get_asgi_application(), before importing consumers (models)

from petland.handlers import ASGIHandler, skip_daphne_form_parsing  # noqa: E402

# Django's handler, with a request's sync work in two thread hops (petland/handlers.py).
django_asgi_app = ASGIHandler()
skip_daphne_form_parsing()  # Django parses request bodies; daphne need not parse them first

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from realtime.auth import RealtimeAuthMiddleware  # noqa: E402
from realtime.origin import OriginCheck  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginCheck(RealtimeAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)

# What is loaded by now (Django, DRF, the apps, Channels, Twisted: about 125,000 objects) lives
# as long as the process. Out of the collector's way, it is not traversed again by every
# full collection, which the allocations of a busy fan-out trigger often: at 1,000 sockets this
# cut the server's CPU by about a fifth and its longest pauses from ~100 to ~30 ms
# (docs/performance.md). Objects created later, sockets included, are collected as usual.
gc.freeze()
