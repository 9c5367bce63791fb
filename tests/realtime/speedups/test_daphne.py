"""Guard for ``realtime.speedups.daphne``: daphne still builds each socket's ``send`` as
``partial(Server.handle_reply, protocol)`` around an autobahn protocol, and the fast path writes
the same frames autobahn would, whatever their size."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from functools import partial

import pytest
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from websockets.sync.client import connect

from realtime.log.messages import websocket_frame
from realtime.speedups.daphne import direct_closer, direct_writer, protocol_behind, response_unsent_meter, unsent_meter
from tests.factories import ServiceFactory
from tests.realtime.speedups.conftest import ON
from tests.support.servers import Daphne


class RecordingTransport:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)


def an_open_protocol() -> WebSocketProtocol:
    protocol = WebSocketProtocol()
    protocol.state, protocol.send_state = protocol.STATE_OPEN, protocol.SEND_STATE_GROUND
    protocol.send_queue, protocol.transport = deque(), RecordingTransport()
    return protocol


def daphnes_send(protocol: WebSocketProtocol) -> partial:
    return partial(Server.__new__(Server).handle_reply, protocol)  # how daphne builds each socket's send


def test_frame_lengths_use_the_three_encodings():
    assert websocket_frame("hi") == b"\x81\x02hi"
    assert websocket_frame("x" * 200)[:4] == b"\x81\x7e\x00\xc8"
    assert websocket_frame("x" * 70_000)[:10] == b"\x81\x7f" + (70_000).to_bytes(8, "big")


def test_daphnes_send_is_recognised_and_other_sends_fall_back_to_asgi():
    async def send(message: dict) -> None:  # e.g. uvicorn's, or one wrapped by a middleware
        pass

    protocol = an_open_protocol()
    assert protocol_behind(daphnes_send(protocol)) is protocol
    assert direct_writer(send) is None and direct_closer(send) is None and unsent_meter(send) is None


def test_with_the_speedups_off_nothing_reaches_past_daphnes_send(settings):
    settings.REALTIME = {**settings.REALTIME, "SPEEDUPS": False}
    assert protocol_behind(daphnes_send(an_open_protocol())) is None


def test_only_open_idle_connections_are_written_directly():
    protocol = an_open_protocol()
    write = direct_writer(daphnes_send(protocol))

    assert write is not None and write(b"frame") and protocol.transport.written == [b"frame"]
    protocol.send_queue.append((b"queued by autobahn", False))
    assert not write(b"would overtake")
    protocol.send_queue.clear()
    protocol.state = protocol.STATE_CLOSING
    assert not write(b"too late") and protocol.transport.written == [b"frame"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.live
def test_small_medium_and_large_events_arrive_intact_over_daphne():
    with Daphne(**ON) as server, connect(f"{server.ws}/ws/services/", max_size=2**20) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "connection_established"
        sizes = [10, 300, 70_000]
        for size in sizes:
            ServiceFactory(description="é" * size)
        for size in sizes:
            message = json.loads(ws.recv(timeout=5))
            assert message["data"]["description"] == "é" * size
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(timeout=5)) == {"type": "pong"}


class StreamingRequest:
    """What daphne's HTTP ``send`` is built around: a request whose channel's transport is
    Twisted's (``dataBuffer``, ``offset``, ``_tempDataLen``)."""

    def __init__(self) -> None:
        self.channel = type("Channel", (), {})()
        self.channel.transport = type("Transport", (), {"dataBuffer": b"x" * 300, "offset": 100, "_tempDataLen": 50})()
        self.channel.transport.connected = True


async def an_asgi_application(scope: dict, receive: object, send: object) -> object:
    # As daphne runs an application: ``send`` is a local of the request task's outermost coroutine.
    return response_unsent_meter()


def run_as_daphne_request(send: object) -> object:
    async def main() -> object:
        return await asyncio.create_task(an_asgi_application({}, None, send))

    return asyncio.run(main())


def test_a_streaming_response_finds_the_bytes_twisted_holds_for_its_connection():
    request = StreamingRequest()
    meter = run_as_daphne_request(partial(Server.__new__(Server).handle_reply, request))

    assert callable(meter) and meter() == 300 - 100 + 50
    request.channel = None  # the request finished, or its connection was lost
    assert meter() is None


def test_a_streaming_response_on_another_server_or_with_the_speedups_off_has_no_meter(settings):
    async def send(message: dict) -> None:  # e.g. uvicorn's, which waits for its buffer by itself
        pass

    assert run_as_daphne_request(send) is None
    settings.REALTIME = {**settings.REALTIME, "SPEEDUPS": False}
    assert run_as_daphne_request(partial(Server.__new__(Server).handle_reply, StreamingRequest())) is None
