"""Faults a real deployment meets: Redis going away, a server restarting, a channel layer that
drops messages. Each test starts its own Redis and daphne on ports of its own."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid

import pytest
from django.test import override_settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from realtime.delivery.hub import Hub
from tests.realtime.child_settings import channel_layer
from tests.support.servers import Daphne, RedisServer, http_json, run_in_shell, start_in_shell
from tests.support.sockets import token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


class ResumingClient(threading.Thread):
    """A client that keeps every visits event it receives and, whenever its connection drops,
    reconnects with the last event id it saw, as the browser client does."""

    def __init__(self, server: Daphne, user):
        super().__init__(daemon=True)
        self.server, self.token = server, token_for(user)
        self.received: list[tuple[int, str]] = []
        self.connections = 0
        self.stopping = threading.Event()
        self.connected = threading.Event()
        self.socket = None

    @property
    def last_event_id(self) -> int | None:
        return self.received[-1][0] if self.received else self.first_position

    first_position: int | None = None

    def run(self) -> None:
        while not self.stopping.is_set():
            query = f"token={self.token}" + (f"&last_event_id={self.last_event_id}" if self.last_event_id is not None else "")
            try:
                with connect(f"{self.server.ws}/ws/visits/?{query}", open_timeout=3) as socket:
                    self.socket = socket
                    self.connections += 1
                    while not self.stopping.is_set():
                        try:
                            message = json.loads(socket.recv(timeout=0.2))
                        except TimeoutError:
                            continue
                        if message["type"] == "connection_established":
                            if self.first_position is None:
                                self.first_position = message["last_event_id"]
                            self.connected.set()
                        elif message["type"] == "realtime_update":
                            self.received.append((message["event_id"], message["data"]["pet_name"]))
            except (ConnectionClosed, OSError, TimeoutError):
                time.sleep(0.2)

    def drop_connection(self) -> None:
        if self.socket is not None:
            self.socket.close()

    def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.1)

    def stop(self) -> None:
        self.stopping.set()
        self.join(5)


def writer_code(owner_id: int, prefix: str, count: int, pause: float = 0.0) -> str:
    return (
        "import time\nfrom visits.models import Visit\n"
        f"for i in range({count}):\n"
        f"    Visit.objects.create(owner_id={owner_id}, pet_name=f'{prefix}-{{i}}')\n"
        f"    time.sleep({pause})\n"
    )


def assert_exactly_once_in_order(client: ResumingClient, expected_names: set[str]) -> None:
    ids = [event_id for event_id, _ in client.received]
    names = [name for _, name in client.received]
    assert len(names) == len(set(names)), "an event arrived twice"
    assert set(names) == expected_names, f"missing: {sorted(expected_names - set(names))[:10]}"
    assert ids == sorted(ids), "events arrived out of order"


def test_1000_updates_from_4_writers_survive_a_redis_restart(staff, alice):
    with RedisServer() as redis, Daphne(REDIS_URL=redis.url) as server:
        clients = [ResumingClient(server, staff) for _ in range(3)]
        for client in clients:
            client.start()
            assert client.connected.wait(10)
        writers = [start_in_shell(writer_code(alice.pk, f"w{k}", 250, 0.002), REDIS_URL=redis.url) for k in range(4)]
        try:
            clients[0].wait_for(100, timeout=30)
            redis.stop()
            clients[1].drop_connection()  # one client also reconnects while Redis is away
            time.sleep(1.5)
            redis.start()
            for writer in writers:
                out, err = writer.communicate(timeout=120)
                assert writer.returncode == 0, err
            expected = {f"w{k}-{i}" for k in range(4) for i in range(250)}
            for client in clients:
                client.wait_for(1000, timeout=60)
                assert_exactly_once_in_order(client, expected)
            assert clients[0].received == clients[1].received == clients[2].received
            assert clients[1].connections >= 2
        finally:
            for client in clients:
                client.stop()
            for writer in writers:
                writer.kill()


def test_api_writes_succeed_while_redis_is_down_and_their_events_arrive(alice):
    with RedisServer() as redis, Daphne(REDIS_URL=redis.url) as server:
        client = ResumingClient(server, alice)
        client.start()
        assert client.connected.wait(10)
        try:
            redis.stop()
            for i in range(5):
                body = json.dumps({"pet_name": f"during-outage-{i}"}).encode()
                status, reply = http_json("POST", f"{server.http}/api/visits/", body, token_for(alice))
                assert status == 201, reply
            client.wait_for(5, timeout=15)  # delivered from the log even before Redis is back
            redis.start()
            body = json.dumps({"pet_name": "after-outage"}).encode()
            assert http_json("POST", f"{server.http}/api/visits/", body, token_for(alice))[0] == 201
            client.wait_for(6, timeout=15)
            assert_exactly_once_in_order(client, {f"during-outage-{i}" for i in range(5)} | {"after-outage"})
        finally:
            client.stop()


def test_daphne_restart_mid_stream_loses_nothing(alice):
    with RedisServer() as redis:
        server = Daphne(REDIS_URL=redis.url).start()
        client = ResumingClient(server, alice)
        client.start()
        writer = None
        try:
            assert client.connected.wait(10)
            writer = start_in_shell(writer_code(alice.pk, "r", 200, 0.01), REDIS_URL=redis.url)
            client.wait_for(20, timeout=30)
            server.kill()
            time.sleep(0.5)
            server = Daphne(port=server.port, REDIS_URL=redis.url).start()
            out, err = writer.communicate(timeout=120)
            assert writer.returncode == 0, err
            client.wait_for(200, timeout=60)
            assert_exactly_once_in_order(client, {f"r-{i}" for i in range(200)})
            assert client.connections >= 2
        finally:
            client.stop()
            server.stop()
            if writer is not None:
                writer.kill()


CORE_LAYER_OF_CAPACITY_1 = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")],
            "capacity": 1,
            "prefix": f"clinic-capacity-{uuid.uuid4().hex[:8]}",
        },
    }
}


@override_settings(CHANNEL_LAYERS=CORE_LAYER_OF_CAPACITY_1)
async def test_hub_held_over_channel_capacity_loses_nothing(open_socket, alice):
    socket, _ = await open_socket("visits", alice)

    # Another OS process writes (this process's own writes reach its hub without the layer),
    # while the wait blocks this event loop, where the hub runs: its channel holds one message
    # and channels_redis drops the others.
    run_in_shell(
        "from visits.models import Visit\n"
        f"for i in range(30): Visit.objects.create(owner_id={alice.pk}, pet_name=f'burst-{{i}}')\n"
        "from realtime.delivery.layer import layer_publisher\n"
        "assert layer_publisher.flush(10)\n",
        **channel_layer("channels_redis.core.RedisChannelLayer", capacity=1),
    )

    names = []
    while len(names) < 30:
        message = await socket.receive(timeout=10)
        if message["type"] == "realtime_update":
            names.append(message["data"]["pet_name"])
    assert names == [f"burst-{i}" for i in range(30)]
    hub = await Hub.running()
    assert hub.gaps_filled > 0, "the layer dropped nothing: this test did not hold the hub over capacity"
