"""WebSocket routes: ``ws/<channel>/`` for every channel of the publications table (the
trailing slash is optional). Unknown names reach the consumer, which closes with 4404."""

from django.urls import re_path

from realtime.sockets.consumer import ChannelConsumer

websocket_urlpatterns = [
    re_path(r"^ws/(?P<channel>[A-Za-z0-9_\-]{1,50})/?$", ChannelConsumer.as_asgi()),
]
