"""ASGI entry point: HTTP through Django, WebSockets through the real-time app."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "petland.settings")
django_asgi_app = get_asgi_application()  # before importing consumers, which import models

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
