"""How a committed batch travels: to this process's hub at once, to the other processes through
one publish on the channel layer."""

from __future__ import annotations

import asyncio
import time

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from django.db import transaction

from realtime import event_log, messages, transport
from realtime.conf import setting
from realtime.event_log import Delivery
from realtime.hub import Hub
from realtime.models import Event
from tests.factories import PetFactory

pytestmark = pytest.mark.django_db(transaction=True)


class SlowSocket:
    """A staff subscriber of ``pets`` whose every send takes ``seconds``."""

    channel, user_id, is_staff, remote = "pets", None, True, "198.51.100.7"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.received: list[int] = []

    def push_now(self, deliveries: list[Delivery]) -> bool:
        return False

    async def push(self, deliveries: list[Delivery]) -> None:
        await asyncio.sleep(self.seconds)
        self.received.extend(delivery.seq for delivery in deliveries)

    async def revalidate(self, *, is_active: bool, is_staff: bool) -> None:
        pass


@pytest.fixture
async def hub():
    hub = await Hub.running()
    yield hub
    await Hub.stop_running()


def pet_seq(pet_id: int) -> int:
    return Event.objects.get(channel="pets", record_id=str(pet_id)).seq


async def test_a_write_returns_once_its_own_process_has_sent_its_event(hub, alice, monkeypatch):
    # A bound far above the socket's delay: what is tested is the wait, not the machine's speed.
    monkeypatch.setattr(transport, "LOCAL_FAN_OUT_WAIT_SECONDS", 10.0)
    socket = SlowSocket(seconds=0.05)
    hub.add(socket)

    pet = await database_sync_to_async(PetFactory)(owner=alice)  # commits in another thread

    assert socket.received == [await database_sync_to_async(pet_seq)(pet.pk)]
    hub.discard(socket)


async def test_a_stuck_hub_holds_a_write_back_only_briefly(hub, alice):
    socket = SlowSocket(seconds=2.0)
    hub.add(socket)

    started = time.monotonic()
    await database_sync_to_async(PetFactory)(owner=alice)
    took = time.monotonic() - started

    assert took < 1.5, f"the write waited {took:.2f}s for its hub"
    assert transport.LOCAL_FAN_OUT_WAIT_SECONDS < 1.0
    hub.discard(socket)


def commit_an_event_whose_publish_never_came() -> int:
    """As another process that numbered an event and died before publishing it: a hole."""
    with transaction.atomic():
        event_log.append(channel="pets", payload=messages.realtime_update("pets", "updated", {"pet_id": 0}), public=True)
    return event_log.sequence_pending()[-1].seq


async def test_a_hub_fills_a_hole_while_the_writer_after_it_waits_in_the_shared_sync_thread(hub, alice, monkeypatch):
    # database_sync_to_async runs the write in the one thread that thread-sensitive sync code
    # shares; the hub reads the hole from the log elsewhere, so neither waits for the other.
    monkeypatch.setattr(transport, "LOCAL_FAN_OUT_WAIT_SECONDS", 10.0)
    socket = SlowSocket(seconds=0)
    hub.add(socket)
    hole = await database_sync_to_async(commit_an_event_whose_publish_never_came)()

    started = time.monotonic()
    pet = await database_sync_to_async(PetFactory)(owner=alice)
    took = time.monotonic() - started

    assert took < 5.0, f"the write waited {took:.1f}s: the hub's read of the hole queued behind it"
    assert socket.received[:2] == [hole, await database_sync_to_async(pet_seq)(pet.pk)]
    hub.discard(socket)


async def listen_to_the_group() -> tuple[object, str]:
    layer = get_channel_layer()
    name = await layer.new_channel()
    await layer.group_add(setting("GROUP"), name)
    return layer, name


async def seqs_received(layer, name: str, quiet: float = 0.5) -> list[int]:
    """The event numbers the layer brought to ``name`` until it stayed quiet for ``quiet`` seconds
    (a write outside a transaction commits, and publishes, its events one by one)."""
    seqs = []
    while True:
        try:
            message = await asyncio.wait_for(layer.receive(name), quiet)
        except asyncio.TimeoutError:
            return seqs
        seqs.extend(row[0] for row in message["events"])


async def test_a_write_in_a_server_process_is_published_once_for_the_other_processes(hub, alice):
    layer, name = await listen_to_the_group()

    pet = await database_sync_to_async(PetFactory)(owner=alice)

    seq = await database_sync_to_async(pet_seq)(pet.pk)
    assert (await seqs_received(layer, name)).count(seq) == 1


async def test_a_write_in_a_process_without_a_hub_is_published_once(alice):
    layer, name = await listen_to_the_group()

    pet = await database_sync_to_async(PetFactory)(owner=alice)

    seq = await database_sync_to_async(pet_seq)(pet.pk)
    assert (await seqs_received(layer, name)).count(seq) == 1
