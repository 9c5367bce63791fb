"""Endpoints for operators: ``/healthz`` (the process answers), ``/readyz`` (database and
channel layer reachable) and ``/metrics`` (Prometheus text format)."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import time
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client import multiprocess

from realtime.conf import setting


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "channel_layer": _check_channel_layer()}
    ready = all(result == "ok" for result in checks.values())
    return JsonResponse({"status": "ready" if ready else "not ready", "checks": checks}, status=200 if ready else 503)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # what failed is the answer
        return f"error: {type(exc).__name__}"


def _check_channel_layer() -> str:
    """A message sent to a fresh channel comes back within the timeout; the channel is closed
    afterwards, so that probing leaves no subscription or queue behind."""
    layer = get_channel_layer()
    if layer is None:
        return "error: no channel layer"
    timeout = setting("READY_TIMEOUT")

    async def round_trip() -> None:
        channel = await layer.new_channel("readyz.")
        receiving = asyncio.ensure_future(layer.receive(channel))
        try:
            await asyncio.sleep(0)
            token = uuid.uuid4().hex
            await layer.send(channel, {"type": "readyz.ping", "token": token})
            message = await asyncio.wait_for(receiving, timeout)
            if message.get("token") != token:
                raise RuntimeError("wrong message")
        finally:
            await _close_channel(layer, channel, receiving)

    started = time.monotonic()
    try:
        async_to_sync(asyncio.wait_for)(round_trip(), timeout)
    except Exception as exc:
        return f"error: {type(exc).__name__} after {time.monotonic() - started:.2f}s"
    return "ok"


async def _close_channel(layer: Any, channel: str, receiving: asyncio.Future[Any]) -> None:
    """Forget a channel made by ``new_channel``. Channels has no ``delete_channel()``; its
    stand-in in channels_redis's pub/sub layer is a cancelled ``receive``, which drops the
    channel's queue and unsubscribes it in Redis. A receive that took its message cleaned up
    nothing there, so a second one is started and cancelled. (The core and in-memory layers
    keep nothing once the message is taken.)"""
    if not receiving.done():
        receiving.cancel()
        await asyncio.gather(receiving, return_exceptions=True)
        return
    if receiving.cancelled() or not isinstance(layer, RedisPubSubChannelLayer):
        return
    waiting = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)  # let it reach the channel's queue, where a cancel cleans up
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)


def _allowed(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in setting("METRICS_ALLOWED_NETWORKS"))


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics of this process, or of every process sharing
    ``PROMETHEUS_MULTIPROC_DIR``. Only for allowed networks or signed-in staff."""
    if not _allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    registry: Any = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
