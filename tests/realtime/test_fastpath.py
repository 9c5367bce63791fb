"""The daphne fast path writes the same frames autobahn would, whatever their size."""

from __future__ import annotations

import json

import pytest
from websockets.sync.client import connect

from realtime.fastpath import direct_writer, text_frame
from tests.factories import ServiceFactory
from tests.support.servers import Daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def test_frame_lengths_use_the_three_encodings():
    assert text_frame("hi") == b"\x81\x02hi"
    assert text_frame("x" * 200)[:4] == b"\x81\x7e\x00\xc8"
    assert text_frame("x" * 70_000)[:10] == b"\x81\x7f" + (70_000).to_bytes(8, "big")


def test_other_servers_fall_back_to_the_asgi_send():
    async def send(message):  # e.g. uvicorn's, or one wrapped by a middleware
        pass

    assert direct_writer(send) is None


def test_small_medium_and_large_events_arrive_intact_over_daphne():
    with Daphne() as server, connect(f"{server.ws}/ws/services/", max_size=2**20) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "connection_established"
        sizes = [10, 300, 70_000]
        for size in sizes:
            ServiceFactory(description="é" * size)
        for size in sizes:
            message = json.loads(ws.recv(timeout=5))
            assert message["data"]["description"] == "é" * size
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(timeout=5)) == {"type": "pong"}


class RecordingTransport:
    def __init__(self):
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)


def test_daphne_send_is_recognised_and_only_open_idle_connections_are_written_directly():
    from collections import deque
    from functools import partial

    from daphne.server import Server
    from daphne.ws_protocol import WebSocketProtocol

    server = Server.__new__(Server)
    protocol = WebSocketProtocol()
    protocol.state, protocol.send_state = protocol.STATE_OPEN, protocol.SEND_STATE_GROUND
    protocol.send_queue, protocol.transport = deque(), RecordingTransport()
    write = direct_writer(partial(server.handle_reply, protocol))  # how daphne builds each socket's send

    assert write is not None and write(b"frame") and protocol.transport.written == [b"frame"]
    protocol.send_queue.append((b"queued by autobahn", False))
    assert not write(b"would overtake")
    protocol.send_queue.clear()
    protocol.state = protocol.STATE_CLOSING
    assert not write(b"too late") and protocol.transport.written == [b"frame"]
