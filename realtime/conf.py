"""The real-time app's settings, read from ``settings.REALTIME`` with defaults."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

DEFAULTS: dict[str, Any] = {
    "PUBLICATIONS": None,  # dotted path to the project's list of Publication
    "SPEEDUPS": True,  # the speed-ups that rest on other libraries' internals (realtime/speedups/); False: public APIs only
    "ALLOWED_ORIGINS": [],  # extra browser origins besides ALLOWED_HOSTS
    "EVENT_RETENTION_DAYS": 7,
    "POLL_INTERVAL": 1.0,  # seconds between a server process's checks of the log for missed events
    "MAX_MESSAGE_BYTES": 64 * 1024,
    "MAX_REPLAY": 10_000,  # events a resume may replay before the client is told to resync
    "REPLAY_PAGE": 500,  # events read from the log at a time during a replay
    "REPLAY_ROWS_PER_TOKEN": 500,  # a resume costs one message token per this many events of its range
    "REPLAY_THREADS": 2,  # replays and stored-notification reads at once per server process
    "MAX_NOTIFICATION_BACKLOG": 100,  # stored, unconfirmed notifications a new socket receives
    "MAX_SEND_BUFFER": 1024 * 1024,  # bytes a socket may leave unsent (beyond the kernel) before close 4008
    "GROUP": "realtime.events",
    "NOTIFICATION_CHANNEL": "users",
    "LOG_FORMAT": "logfmt",  # or "json": the connection and security log lines
    "MESSAGES_PER_SECOND": 20.0,  # client messages per connection (token bucket rate)
    "MESSAGE_BURST": 40,  # and its bucket size
    "MAX_SOCKETS_PER_USER": 50,  # per server process
    "MAX_SOCKETS_PER_ADDRESS": 200,  # per server process
    "REVALIDATE_INTERVAL": 5.0,
    "READY_TIMEOUT": 2.0,  # seconds /readyz waits for a channel-layer round trip
    "METRICS_ALLOWED_NETWORKS": ["127.0.0.0/8", "::1/128"],  # besides signed-in staff
    "STATS_REDIS_URL": None,  # where server processes report their connections (realtime_stats)
    "STATS_INTERVAL": 2.0,
    "FEED_HEARTBEAT": 15.0,  # seconds without an event before a change-feed stream sends an empty line
    "STATS_KEY_PREFIX": "realtime-stats:",  # the Redis keys server processes report under
    "ONLINE_KEY_PREFIX": "realtime-online:",  # the Redis keys of who has an open socket (realtime.delivery.online)
    # Web Push (realtime.push): off while the keys are unset
    "WEBPUSH_VAPID_PRIVATE_KEY": "",  # base64url, no padding: the raw 32-byte P-256 scalar
    "WEBPUSH_VAPID_PUBLIC_KEY": "",  # base64url, no padding: the 65-byte uncompressed point
    "WEBPUSH_SUBJECT": "",  # the contact a push service may write to: mailto:… or https://…
    "WEBPUSH_ALLOWED_ENDPOINTS": [  # URL prefixes a subscription's endpoint must start with
        "https://fcm.googleapis.com/",  # Chrome, Android, Opera, Samsung Internet
        "https://updates.push.services.mozilla.com/",  # Firefox
        "https://*.notify.windows.com/",  # Edge (WNS)
        "https://web.push.apple.com/",  # Safari
    ],
    "WEBPUSH_IDLE_SECONDS": 60,  # push only to users with no open socket for this long
    "WEBPUSH_MAX_SUBSCRIPTIONS": 10,  # per user
    "WEBPUSH_CONCURRENCY": 8,  # pushes in flight at once in the worker
    "WEBPUSH_CONTENT": "realtime.push.content.default_content",  # dotted path: notification -> PushContent
    "PRESENCE_REDIS_URL": None,  # where presence is shared between server processes (None: one process)
    "PRESENCE_KEY_PREFIX": "realtime-presence:",  # its Redis keys and pub/sub channel
    "PRESENCE_TTL": 25.0,  # seconds a process's presence entries live unless refreshed
    "PRESENCE_REFRESH": 10.0,  # seconds between a process's refreshes of its entries
    "PRESENCE_LINGER": 5.0,  # seconds a closed socket still counts (a reload shows no leave)
}


@functools.cache
def _merged() -> dict[str, Any]:
    return {**DEFAULTS, **getattr(settings, "REALTIME", {})}


def setting(name: str) -> Any:
    """``settings.REALTIME[name]``, or its default. Read on the fan-out's path (per socket per
    batch), so the merged table is built once, and again when ``settings.REALTIME`` changes."""
    return _merged()[name]


@receiver(setting_changed)
def _forget_merged(*, setting: str, **kwargs: Any) -> None:
    if setting == "REALTIME":
        _merged.cache_clear()
