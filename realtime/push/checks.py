"""System checks of the Web Push settings: a key pair that belongs together and a contact the
push services accept, whenever push is on."""

from __future__ import annotations

import re
from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from realtime.conf import setting
from realtime.push import keys

_SUBJECT = re.compile(r"^(mailto:[^@\s]+@[^@\s]+|https://[^\s/]+.*)$")


@checks.register()
def webpush_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not (setting("WEBPUSH_VAPID_PRIVATE_KEY") or setting("WEBPUSH_VAPID_PUBLIC_KEY")):
        return []  # push is off
    problems: list[checks.CheckMessage] = []
    try:
        if not keys.is_configured():
            raise ImproperlyConfigured("Set both WEBPUSH_VAPID_PRIVATE_KEY and WEBPUSH_VAPID_PUBLIC_KEY, or neither.")
        keys.vapid()
    except ImproperlyConfigured as error:
        problems.append(checks.Error(str(error), hint="python manage.py webpush_keys prints a pair.", id="realtime.E010"))
    if not _SUBJECT.match(setting("WEBPUSH_SUBJECT") or ""):
        problems.append(
            checks.Error(
                f"WEBPUSH_SUBJECT={setting('WEBPUSH_SUBJECT')!r} is not a mailto: or https: contact.",
                hint="Push services write to it about problems with your pushes (RFC 8292).",
                id="realtime.E011",
            )
        )
    return problems
