"""A reusable real-time layer for Django: model changes become events in a log, published
after commit, and fanned out by one subscription per server process to the WebSocket
clients allowed to see them. The project declares what publishes where in one table
(``settings.REALTIME["PUBLICATIONS"]``); this app knows nothing else about its models.

This module is the app's door: a project uses the names below and nothing deeper
(docs/realtime.md)::

    from realtime import Access, Notice, Publication, Relay   # the publications table
    from realtime import publish_change, publish_event, publish_instances, notification_service
    from realtime import websocket_application                # the ASGI WebSocket stack
    path("", include(realtime.urls)); path("", include(realtime.operations_urls))
    path("", include(realtime.feed_urls))                     # the change feed for integrations
    router.register("notifications", realtime.NotificationViewSet, basename="notification")
    LOGGING["filters"] = {"redact_tokens": {"()": "realtime.RedactTokensFilter"}}

The names are imported when first used, so that ``settings.py`` can import this package
before Django is set up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import ModuleType

    from realtime.declaring.notifications import notification_service as notification_service
    from realtime.declaring.publishing import (
        publish_change as publish_change,
        publish_event as publish_event,
        publish_instances as publish_instances,
    )
    from realtime.declaring.registry import Access as Access, Notice as Notice, Publication as Publication, Relay as Relay
    from realtime.observability import RedactTokensFilter as RedactTokensFilter
    from realtime.push.content import PushContent as PushContent
    from realtime.sockets.routing import websocket_application as websocket_application
    from realtime.web.api import (
        NotificationSerializer as NotificationSerializer,
        NotificationViewSet as NotificationViewSet,
        TicketView as TicketView,
    )

    urls: ModuleType
    operations_urls: ModuleType
    feed_urls: ModuleType

# name: (module, attribute; None for the module itself)
_EXPORTS: dict[str, tuple[str, str | None]] = {
    "Access": ("realtime.declaring.registry", "Access"),
    "Notice": ("realtime.declaring.registry", "Notice"),
    "Publication": ("realtime.declaring.registry", "Publication"),
    "Relay": ("realtime.declaring.registry", "Relay"),
    "publish_change": ("realtime.declaring.publishing", "publish_change"),
    "publish_event": ("realtime.declaring.publishing", "publish_event"),
    "publish_instances": ("realtime.declaring.publishing", "publish_instances"),
    "notification_service": ("realtime.declaring.notifications", "notification_service"),
    "websocket_application": ("realtime.sockets.routing", "websocket_application"),
    "urls": ("realtime.web.urls", None),  # /live/, /realtime/example/, /api/realtime/ticket/
    "operations_urls": ("realtime.web.operations_urls", None),  # /healthz, /readyz, /metrics
    "feed_urls": ("realtime.feed.urls", None),  # /api/events/, /api/events/stream (the change feed)
    "NotificationSerializer": ("realtime.web.api", "NotificationSerializer"),
    "NotificationViewSet": ("realtime.web.api", "NotificationViewSet"),
    "TicketView": ("realtime.web.api", "TicketView"),
    # what a notification says as a Web Push (settings.REALTIME["WEBPUSH_CONTENT"] returns one)
    "PushContent": ("realtime.push.content", "PushContent"),
    # for LOGGING's filters: keeps tokens and tickets out of every log line
    "RedactTokensFilter": ("realtime.observability", "RedactTokensFilter"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'realtime' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
