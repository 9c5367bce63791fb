"""How a committed batch travels: to this process's hub at once, to the other processes through
one publish on the channel layer."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from asgiref.sync import ThreadSensitiveContext
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import HttpCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from django.db import transaction

from clinic.asgi import application
from realtime.log import event_log, messages
from realtime.delivery import transport
from realtime.conf import setting
from realtime.log.event_log import Delivery
from realtime.delivery.hub import Hub
from realtime.delivery.layer import LayerPublisher
from realtime.models import Event
from tests.factories import VisitFactory
from tests.support.speedups import speedups_on

pytestmark = pytest.mark.django_db(transaction=True)


class SlowSocket:
    """A staff subscriber of ``visits`` that keeps its hub busy for ``seconds`` with every batch
    it takes, as a fan-out to a great many sockets would (a hub never waits on one socket)."""

    channel, user_id, is_staff, remote = "visits", None, True, "198.51.100.7"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.received: list[int] = []

    def push_now(self, deliveries: list[Delivery]) -> bool:
        time.sleep(self.seconds)
        self.received.extend(delivery.seq for delivery in deliveries)
        return True

    def push(self, deliveries: list[Delivery]) -> None:
        raise AssertionError("push_now always takes them")

    async def revalidate(self, *, is_active: bool, is_staff: bool) -> None:
        pass

    def shut_down(self) -> None:
        pass


@pytest.fixture
async def hub():
    hub = await Hub.running()
    yield hub
    await Hub.stop_running()


@pytest.fixture
def slow_socket(hub):
    """``slow_socket(seconds)``: a SlowSocket subscribed to the running hub, for this test."""
    sockets: list[SlowSocket] = []

    def subscribe(seconds: float) -> SlowSocket:
        socket = SlowSocket(seconds)
        hub.add(socket)
        sockets.append(socket)
        return socket

    yield subscribe
    for socket in sockets:
        hub.discard(socket)


def visit_seq(visit_id: int) -> int:
    return Event.objects.get(channel="visits", record_id=str(visit_id)).seq


def timed(make):
    """``make``, returning what it made and how long its thread took (the event loop may be
    busy after that, in a hub that a slow socket holds up)."""

    def run(**fields):
        started = time.monotonic()
        made = make(**fields)
        return made, time.monotonic() - started

    return run


async def write_as_a_request(make, **fields):
    """``make(**fields)`` in a thread of its own, as the ASGI handler runs a request; returns
    what it made and how long the request's thread took."""
    async with ThreadSensitiveContext():
        return await database_sync_to_async(timed(make))(**fields)


async def received_once_written(socket, count: int) -> list:
    """What the socket holds once the write has returned. With the speed-ups the writer waits for
    its own hub, so it is all there already; without them no writer waits (the response may leave
    before the frames it caused: ``transport.in_a_thread_of_its_own``), so wait for the frames."""
    if not speedups_on():
        deadline = time.monotonic() + 10
        while len(socket.received) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    return list(socket.received)


async def test_a_write_returns_once_its_own_process_has_sent_its_event(slow_socket, alice, monkeypatch):
    # A bound far above the socket's delay: what is tested is the wait, not the machine's speed.
    monkeypatch.setattr(transport, "LOCAL_FAN_OUT_WAIT_SECONDS", 10.0)
    socket = slow_socket(0.05)

    visit, _ = await write_as_a_request(VisitFactory, owner=alice)

    assert await received_once_written(socket, 1) == [await database_sync_to_async(visit_seq)(visit.pk)]


async def test_an_api_write_is_answered_after_its_own_process_has_sent_its_event(slow_socket, alice, monkeypatch):
    monkeypatch.setattr(transport, "LOCAL_FAN_OUT_WAIT_SECONDS", 10.0)
    socket = slow_socket(0.05)
    body = json.dumps({"pet_name": "Luna"}).encode()
    headers = [
        (b"host", b"testserver"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"authorization", f"Bearer {AccessToken.for_user(alice)}".encode()),
    ]

    communicator = HttpCommunicator(application, "POST", "/api/visits/", body=body, headers=headers)
    response = await communicator.get_response(timeout=10)
    received_by_then = await received_once_written(socket, 1)
    await communicator.wait(timeout=10)

    assert response["status"] == 201, response["body"]
    visit_id = json.loads(response["body"])["id"]
    assert received_by_then == [await database_sync_to_async(visit_seq)(visit_id)]


async def test_a_stuck_hub_holds_a_write_back_only_briefly(slow_socket, alice):
    slow_socket(2.0)

    _, took = await write_as_a_request(VisitFactory, owner=alice)

    assert took < 1.5, f"the write waited {took:.2f}s for its hub"
    assert transport.LOCAL_FAN_OUT_WAIT_SECONDS < 1.0


async def test_a_write_in_the_shared_sync_thread_does_not_wait_for_the_hub(slow_socket, alice, monkeypatch):
    # The hub reads the log in that thread (thread-sensitive, like every database_sync_to_async
    # outside a request): a writer waiting there could hold those reads up.
    monkeypatch.setattr(transport, "LOCAL_FAN_OUT_WAIT_SECONDS", 10.0)
    slow_socket(2.0)

    _, took = await database_sync_to_async(timed(VisitFactory))(owner=alice)

    assert took < 1.5, f"the write waited {took:.2f}s for its hub"


def commit_an_event_whose_publish_never_came() -> int:
    """As another process that numbered an event and died before publishing it: a hole."""
    with transaction.atomic():
        event_log.append(channel="visits", payload=messages.realtime_update("visits", "updated", {"visit_id": 0}), public=True)
    return event_log.sequence_pending()[-1].seq


async def test_a_hub_fills_a_hole_while_the_writer_after_it_waits(slow_socket, alice, monkeypatch):
    # The request's thread waits for the fan-out, which needs the hole read from the log first:
    # the hub reads it in the shared sync thread, which the waiting writer does not hold.
    monkeypatch.setattr(transport, "LOCAL_FAN_OUT_WAIT_SECONDS", 10.0)
    socket = slow_socket(0)
    hole = await database_sync_to_async(commit_an_event_whose_publish_never_came)()

    visit, took = await write_as_a_request(VisitFactory, owner=alice)

    assert took < 5.0, f"the write waited {took:.1f}s for a hub that could not read the hole"
    assert (await received_once_written(socket, 2))[:2] == [hole, await database_sync_to_async(visit_seq)(visit.pk)]


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
        except TimeoutError:
            return seqs
        seqs.extend(row[0] for row in message["events"])


async def test_a_write_in_a_server_process_is_published_once_for_the_other_processes(hub, alice):
    layer, name = await listen_to_the_group()

    visit = await database_sync_to_async(VisitFactory)(owner=alice)

    seq = await database_sync_to_async(visit_seq)(visit.pk)
    assert (await seqs_received(layer, name)).count(seq) == 1


async def test_a_write_in_a_process_without_a_hub_is_published_once(alice):
    layer, name = await listen_to_the_group()

    visit = await database_sync_to_async(VisitFactory)(owner=alice)

    seq = await database_sync_to_async(visit_seq)(visit.pk)
    assert (await seqs_received(layer, name)).count(seq) == 1


async def test_a_publish_cancelled_at_any_moment_ends_so_a_hub_always_stops():
    # A hub stops by cancelling its tasks, one of which may be publishing. redis-py 8 wraps each
    # socket write in asyncio.wait_for, which on Python 3.11 swallows a cancellation that lands
    # as the write completes (about one stop in seven here): the task published on, for ever.
    publisher = LayerPublisher()
    event = Delivery(1, "visits", "realtime_update", "1", frozenset(), True, True, '{"type":"realtime_update"}', time.time())
    batch = [event.to_wire()]

    async def publish_forever() -> None:
        while True:
            await publisher.send(batch)

    for trial in range(100):
        task = asyncio.create_task(publish_forever())
        await asyncio.sleep(trial % 25 * 0.0002)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=2)
        assert done, f"stop {trial}: the cancelled publish went on"
        assert task.cancelled(), f"stop {trial}: the publish ended otherwise: {task.exception()!r}"
