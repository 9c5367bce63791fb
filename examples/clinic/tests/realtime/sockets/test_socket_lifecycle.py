"""However a socket ends (its client closes or vanishes, the server closes it, kills its
consumer, or stops), it leaves its hub and its counts at once."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import time
from contextlib import ExitStack

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from clinic.asgi import application
from realtime import observability
from realtime.log import selectors
from realtime.delivery.hub import Hub
from tests.factories import VisitFactory
from tests.realtime.child_settings import realtime_settings
from tests.support.raw_websocket import RawWebSocket
from tests.support.servers import Daphne
from tests.support.sockets import token_for

pytestmark = pytest.mark.django_db(transaction=True)


def open_sockets(hub: Hub, user_id: int) -> int:
    return hub.limits.sockets_per_user.get(user_id, 0)


async def test_a_consumer_killed_while_busy_leaves_the_hub_and_its_counts(alice):
    # daphne kills a consumer that is still busy 10 s after its client left; its cleanup used
    # to be skipped, and the socket stayed in the hub for good (a "phantom").
    gauge = observability.CONNECTIONS.labels("visits")
    before = gauge._value.get()
    communicator = WebsocketCommunicator(application, f"/ws/visits/?token={token_for(alice)}")
    connected, _ = await communicator.connect(timeout=5)
    assert connected and json.loads(await communicator.receive_from())["type"] == "connection_established"
    hub = await Hub.running()
    assert open_sockets(hub, alice.pk) == 1 and gauge._value.get() == before + 1

    communicator.future.cancel()  # as daphne's "took too long to shut down and was killed"
    await asyncio.gather(communicator.future, return_exceptions=True)

    assert open_sockets(hub, alice.pk) == 0
    assert not hub.channels["visits"].everyone
    assert gauge._value.get() == before
    await Hub.stop_running()


async def test_a_socket_the_server_closes_gets_no_more_events(open_socket, alice, settings):
    settings.REALTIME = {**settings.REALTIME, "MESSAGE_BURST": 2, "MESSAGES_PER_SECOND": 0.1}
    socket, _ = await open_socket("visits", alice)
    hub = await Hub.running()
    for _ in range(3):
        await socket.send({"type": "ping"})
    await socket.receive_type("error")  # rate_limited: the server is closing it
    assert open_sockets(hub, alice.pk) == 0  # out of the hub before its close handshake is over


class BrokenSocket:
    """A subscriber whose every write fails, as one whose peer vanished mid-send."""

    channel, user_id, is_staff, remote = "visits", None, True, "198.51.100.9"

    def push_now(self, deliveries):
        raise ConnectionResetError("peer gone")

    def push(self, deliveries):
        raise ConnectionResetError("peer gone")

    async def revalidate(self, *, is_active, is_staff):
        pass

    def shut_down(self):
        pass


async def test_a_socket_that_fails_on_every_write_is_logged_a_few_times_not_per_batch(alice, caplog):
    hub = await Hub.running()
    hub.add(BrokenSocket())
    caplog.set_level(logging.INFO)
    try:
        for _ in range(8):  # eight batches, each with an event for it
            await database_sync_to_async(VisitFactory)(owner=alice)
        newest = await database_sync_to_async(selectors.last_seq)()
        deadline = time.monotonic() + 5
        while hub.position < newest and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        await Hub.stop_running()
    failures = [r for r in caplog.records if "push_failed" in r.getMessage()]
    assert 1 <= len(failures) <= 3
    assert not [r for r in caplog.records if r.exc_info and r.name.startswith("realtime")]


@pytest.mark.live
def test_sockets_of_a_client_that_vanished_mid_replay_do_not_count_against_it(alice, bob):
    with Daphne(**realtime_settings(MAX_SOCKETS_PER_USER=3)) as server:
        path = f"/ws/visits/?token={token_for(bob)}"
        for _ in range(3):
            ws = RawWebSocket(server.port, path)
            for _ in range(40):
                ws.send_text('{"type": "resume", "last_event_id": 0}')
            ws.abort()
        deadline = time.monotonic() + 10
        while True:  # each lost client is noticed within moments, not after daphne's 10 s
            try:
                with connect(f"{server.ws}{path}", open_timeout=10) as ws:
                    assert json.loads(ws.recv(timeout=5))["type"] == "connection_established"
                    with (
                        connect(f"{server.ws}{path}", open_timeout=10) as ws2,
                        connect(f"{server.ws}{path}", open_timeout=10) as ws3,
                    ):
                        assert json.loads(ws2.recv(timeout=5))["type"] == "connection_established"
                        assert json.loads(ws3.recv(timeout=5))["type"] == "connection_established"
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise


@pytest.mark.live
def test_sigterm_closes_every_socket_with_1001_and_the_server_exits_within_10_s(alice, staff):
    server = Daphne().start()
    with ExitStack() as stack:
        stack.callback(server.kill)
        sockets = [
            stack.enter_context(connect(f"{server.ws}/ws/visits/?token={token_for(user)}", open_timeout=10))
            for user in (alice, staff, staff)
        ]
        for ws in sockets:
            assert json.loads(ws.recv(timeout=5))["type"] == "connection_established"
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        codes = []
        for ws in sockets:
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            codes.append(closed.value.rcvd.code if closed.value.rcvd else None)
        server.proc.wait(15)
        took = time.monotonic() - started
    assert codes == [1001, 1001, 1001]
    assert took < 10, f"the server took {took:.1f}s to stop"
