"""System checks: shown by runserver at start and by ``manage.py check``."""

from __future__ import annotations

from typing import Any

from django.core import checks

from realtime.transport import uses_shared_layer


@checks.register()
def shared_channel_layer(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if uses_shared_layer():
        return []
    return [
        checks.Warning(
            "The channel layer is Channels' in-memory layer (REDIS_URL is not set).",
            hint="Updates made in other processes (a shell, a management command, another server) "
            "reach this server's sockets only through its once-a-second log poll, not instantly. "
            "Set REDIS_URL for production.",
            id="realtime.W001",
        )
    ]
