"""ASGI entry point: HTTP through Django, WebSockets through the real-time app."""

import gc
import logging
import os
from urllib.parse import urlsplit

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "petland.settings")
django_asgi_app = get_asgi_application()  # Django's handler; first, before importing consumers (models)

from django.conf import settings  # noqa: E402

from petland import speedups  # noqa: E402

if speedups.enabled():
    from petland.speedups import daphne, django_handler

    # Django's handler, with a request's sync work in two thread hops (petland/speedups/django_handler.py).
    django_asgi_app = django_handler.ASGIHandler()
    daphne.skip_form_parsing()  # Django parses request bodies; daphne need not parse them first

from channels.routing import ProtocolTypeRouter  # noqa: E402

from realtime import websocket_application  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websocket_application(),
    }
)


def channel_layer_line() -> str:
    """Which channel layer this server uses, and why, for the one line it logs at start."""
    if not settings.REDIS_URL:
        return "Channels' in-memory layer (one process only; set REDIS_URL or start Redis on 127.0.0.1:6379)"
    where = urlsplit(settings.REDIS_URL)  # host and port only: the URL may hold a password
    found = getattr(settings, "REDIS_FOUND_LOCALLY", False)  # petland.settings' own name
    why = "found running locally, REDIS_URL is unset" if found else "REDIS_URL"
    return f"Redis at {where.hostname}:{where.port or 6379} ({settings.REDIS_LAYER}; {why})"


logging.getLogger("petland").info("channel layer: %s", channel_layer_line())

# What is loaded by now (Django, DRF, the apps, Channels, Twisted: about 125,000 objects) lives
# as long as the process. Out of the collector's way, it is not traversed again by every
# full collection, which the allocations of a busy fan-out trigger often: at 1,000 sockets this
# cut the server's CPU by about a fifth and its longest pauses from ~100 to ~30 ms
# (docs/performance.md). Objects created later, sockets included, are collected as usual.
gc.freeze()
