"""``/readyz`` is probed by load balancers every second or so: a probe must leave nothing behind,
neither a Redis subscription nor a queue in the server process."""

from __future__ import annotations

import asyncio
import gc
import json
import urllib.request

import pytest
import redis
from django.conf import settings
from channels.db import database_sync_to_async
from django.test import RequestFactory

from realtime.web.operations import readyz
from tests.support.servers import Daphne

PROBES = 200


def layer_prefix() -> str:
    return settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]


def subscriptions(client: redis.Redis) -> tuple[int, int]:
    """This run's pub/sub channels in Redis, and their subscribers."""
    channels = client.pubsub_channels(f"{layer_prefix()}*")
    subscribers = sum(count for _, count in client.pubsub_numsub(*channels)) if channels else 0
    return len(channels), subscribers


@pytest.mark.django_db(transaction=True)
@pytest.mark.live
def test_probing_readyz_on_daphne_leaves_no_redis_subscription_behind():
    client = redis.Redis.from_url(settings.REDIS_URL)
    with Daphne() as server:
        before = subscriptions(client)
        for _ in range(PROBES):
            with urllib.request.urlopen(f"{server.http}/readyz", timeout=10) as response:
                assert response.status == 200
        after = subscriptions(client)
    assert after == before


def queues() -> int:
    gc.collect()
    # type(), not isinstance(): a dead weak proxy among the objects raises on __class__.
    return sum(1 for thing in gc.get_objects() if type(thing) is asyncio.Queue)


@pytest.mark.django_db(transaction=True)
async def test_probing_readyz_leaves_no_queue_in_the_process():
    # As under daphne: the view runs in a worker thread, and the channel-layer round trip on
    # the one event loop of the process, whose layer lives as long as the process.
    probe = database_sync_to_async(lambda: readyz(RequestFactory().get("/readyz")))
    assert (await probe()).status_code == 200  # the layer's own connection, made once
    before = queues()
    for _ in range(PROBES):
        response = await probe()
        assert response.status_code == 200 and json.loads(response.content)["checks"]["channel_layer"] == "ok"
    assert queues() == before
