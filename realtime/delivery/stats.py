"""Per-process statistics for ``manage.py realtime_stats``: each server process's hub writes
its open connections per channel to Redis every few seconds, under a key that expires when
the process stops reporting."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

import orjson
import redis
from django.utils import timezone

from realtime.conf import setting
from realtime.models import Event
from realtime.delivery.layer import uses_shared_layer

if TYPE_CHECKING:
    from realtime.delivery.hub import Hub

logger = logging.getLogger(__name__)

PROCESS = f"{socket.gethostname()}:{os.getpid()}"


def _key_prefix() -> str:
    prefix: str = setting("STATS_KEY_PREFIX")
    return prefix


def report(
    client: redis.Redis,
    *,
    connections: dict[str, int],
    position: int,
    started: float,
    presence: dict[str, int] | None = None,
) -> None:
    body = orjson.dumps(
        {"process": PROCESS, "connections": connections, "position": position, "started": started, "presence": presence or {}}
    )
    client.set(_key_prefix() + PROCESS, body, ex=max(5, int(setting("STATS_INTERVAL") * 3)))


def client() -> redis.Redis | None:
    url = setting("STATS_REDIS_URL")
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2) if url else None


def processes() -> list[dict[str, Any]]:
    """What every reporting server process said last, newest first (needs Redis)."""
    redis_client = client()
    if redis_client is None:
        return []
    try:
        keys = list(redis_client.scan_iter(match=_key_prefix() + "*", count=100))
        values = cast("list[bytes | None]", redis_client.mget(keys)) if keys else []  # a synchronous client
    finally:
        redis_client.close()
    return sorted((orjson.loads(v) for v in values if v), key=lambda p: p["process"])


def log_summary() -> dict[str, Any]:
    """Events made in the last minute, and the oldest committed event not yet numbered (which
    no client can have received)."""
    now = timezone.now()
    oldest_unnumbered = Event.objects.filter(seq__isnull=True).order_by("created_at").values_list("created_at", flat=True).first()
    newest = Event.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", flat=True).first() or 0
    return {
        "events_last_minute": Event.objects.filter(created_at__gte=now - timedelta(minutes=1)).count(),
        "newest_event_id": newest,
        "oldest_undelivered_age_seconds": round((now - oldest_unnumbered).total_seconds(), 3) if oldest_unnumbered else None,
        "checked_at": time.time(),
        "shared_layer": uses_shared_layer(),
    }


async def report_forever(hub: Hub) -> None:
    """Tell ``manage.py realtime_stats`` (through Redis) what this process holds."""
    connection = client()
    if connection is None:
        return
    started = time.time()
    await hub.wait_ready()
    while True:
        try:
            # A plain client in a worker thread: cancelling the hub never waits on Redis.
            await asyncio.to_thread(
                report,
                connection,
                connections=hub.connection_count(),
                position=hub.position,
                started=started,
                presence=hub.presence.counts(),
            )
        except Exception:
            logger.debug("realtime hub could not report its stats", exc_info=True)
        await asyncio.sleep(setting("STATS_INTERVAL"))
