"""HTTP through Django, WebSockets through ``realtime``'s stack (origin, who, ``ws/<channel>/``)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
django.setup(set_prefix=False)  # before the socket stack imports models

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

from realtime import websocket_application  # noqa: E402

application = ProtocolTypeRouter({"http": get_asgi_application(), "websocket": websocket_application()})
