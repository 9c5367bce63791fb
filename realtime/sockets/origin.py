"""Refuses browser handshakes from origins the project does not allow.

Browsers always send ``Origin``; a handshake without one comes from a non-browser client
(curl, a mobile app, a server), which cross-site request forgery cannot drive, so it passes.
Allowed: the hosts in ``ALLOWED_HOSTS`` (as Channels' AllowedHostsOriginValidator does) and
the origins in ``REALTIME["ALLOWED_ORIGINS"]``.
"""

from __future__ import annotations

from typing import Any

from channels.security.websocket import OriginValidator
from django.conf import settings

from realtime.conf import setting


class BrowserOriginValidator(OriginValidator):
    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return True
        return self.validate_origin(parsed_origin)


def allowed_origins() -> list[str]:
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return hosts + [o for o in setting("ALLOWED_ORIGINS")]


def OriginCheck(inner: Any) -> BrowserOriginValidator:  # noqa: N802 - named like Channels' validators
    return BrowserOriginValidator(inner, allowed_origins())
