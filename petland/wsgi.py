"""WSGI entry point (HTTP only; WebSockets need the ASGI application in petland.asgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "petland.settings")
application = get_wsgi_application()
