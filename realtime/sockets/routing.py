"""WebSocket routes: ``ws/<channel>/`` for every channel of the publications table (the
trailing slash is optional). Unknown names reach the consumer, which closes with 4404."""

from typing import Any

from django.urls import re_path

from realtime.sockets.consumer import ChannelConsumer

websocket_urlpatterns = [
    # Channels routes ASGI applications with Django's re_path; django-stubs types its second argument as a view only.
    re_path(r"^ws/(?P<channel>[A-Za-z0-9_\-]{1,50})/?$", ChannelConsumer.as_asgi()),  # type: ignore[arg-type]
]


def websocket_application() -> Any:
    """The WebSocket side of a project's ASGI application: the origin check, then who the
    socket is (token, ticket or session), then the ``ws/<channel>/`` routes::

        application = ProtocolTypeRouter({"http": get_asgi_application(), "websocket": websocket_application()})
    """
    from channels.routing import URLRouter

    from realtime.sockets.auth import RealtimeAuthMiddleware
    from realtime.sockets.origin import OriginCheck

    return OriginCheck(RealtimeAuthMiddleware(URLRouter(websocket_urlpatterns)))
