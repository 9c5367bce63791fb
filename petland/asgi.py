"""ASGI entry point: HTTP through Django, WebSockets through the real-time app."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "petland.settings")
django.setup(set_prefix=False)  # as get_asgi_application(), before importing consumers (models)

from petland.handlers import ASGIHandler  # noqa: E402

# Django's handler, with the middleware chain and the view in one thread hop (petland/handlers.py).
django_asgi_app = ASGIHandler()

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
