"""The daphne fast path writes the same frames autobahn would, whatever their size."""

from __future__ import annotations

import json

import pytest
from websockets.sync.client import connect

from realtime.speedups.daphne import direct_writer
from realtime.log.messages import websocket_frame
from tests.factories import ServiceFactory
from tests.support.servers import Daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def test_frame_lengths_use_the_three_encodings():
    assert websocket_frame("hi") == b"\x81\x02hi"
    assert websocket_frame("x" * 200)[:4] == b"\x81\x7e\x00\xc8"
    assert websocket_frame("x" * 70_000)[:10] == b"\x81\x7f" + (70_000).to_bytes(8, "big")


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


class QueueingTransport:
    """A Twisted TCP transport around one end of a socket pair, recording what it is asked to
    queue instead of queueing it (``write`` is Twisted's buffered path)."""

    def __new__(cls, sock, queued_already: bytes = b""):
        from twisted.internet import tcp

        transport = tcp.Server.__new__(tcp.Server)
        transport.socket, transport.connected = sock, 1
        transport.disconnecting, transport._writeDisconnected = False, False
        transport.dataBuffer, transport._tempDataBuffer = b"", [queued_already] if queued_already else []
        transport.queued = []
        transport.write = transport.queued.append
        return transport


def _read_all(sock, size: int) -> bytes:
    chunks = b""
    while len(chunks) < size:
        chunks += sock.recv(size - len(chunks))
    return chunks


def test_a_frame_goes_straight_to_an_idle_socket_and_what_the_kernel_refuses_is_queued_in_order():
    import socket

    from realtime.speedups.daphne import send_now

    server_end, client_end = socket.socketpair()
    server_end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    server_end.setblocking(False)
    with server_end, client_end:
        transport = QueueingTransport(server_end)
        send_now(transport, b"small")
        assert _read_all(client_end, 5) == b"small" and transport.queued == []

        big = bytes(range(256)) * 4096  # 1 MiB: more than the socket buffer takes at once
        send_now(transport, big)
        assert len(transport.queued) == 1 and 0 < len(transport.queued[0]) < len(big)
        direct = _read_all(client_end, len(big) - len(transport.queued[0]))
        assert direct + transport.queued[0] == big


def test_nothing_overtakes_bytes_twisted_still_holds():
    import socket

    from realtime.speedups.daphne import send_now

    server_end, client_end = socket.socketpair()
    with server_end, client_end:
        transport = QueueingTransport(server_end, queued_already=b"earlier")
        send_now(transport, b"later")
        assert transport.queued == [b"later"]  # behind "earlier", in Twisted's queue
        client_end.setblocking(False)
        with pytest.raises(BlockingIOError):
            client_end.recv(100)


def test_an_upgraded_socket_lets_go_of_the_http_request_it_came_from():
    import gc
    import weakref
    from collections import deque
    from functools import partial

    from daphne.server import Server
    from daphne.ws_protocol import WebSocketProtocol
    from twisted.internet.testing import StringTransport
    from twisted.web.http import HTTPChannel, Request

    from realtime.speedups.daphne import release_upgrade_request

    # What daphne leaves after an upgrade: the transport now belongs to the WebSocket protocol,
    # but the HTTP channel that parsed the handshake is still registered as its producer, and
    # the channel and its unfinished request refer to each other.
    transport, channel = StringTransport(), HTTPChannel()
    channel.makeConnection(transport)
    channel.setTimeout(None)
    channel.requests.append(Request(channel))
    protocol = WebSocketProtocol()
    protocol.state, protocol.send_state, protocol.send_queue = protocol.STATE_OPEN, protocol.SEND_STATE_GROUND, deque()
    transport.protocol, protocol.transport = protocol, transport
    assert transport.producer is channel
    channel_gone, request_gone = weakref.ref(channel), weakref.ref(channel.requests[0])
    del channel

    gc.disable()  # freed at once, by reference counting, not at some later collection
    try:
        release_upgrade_request(partial(Server.__new__(Server).handle_reply, protocol))
        assert transport.producer is None and channel_gone() is None and request_gone() is None
    finally:
        gc.enable()


def test_a_client_gets_more_than_a_second_to_answer_the_servers_close():
    """autobahn's default is 1 s, then a reset: a client busy for that long (the flood test's
    own process, under load) lost the frames it had not read yet, its close code included."""
    import base64
    import os
    import socket

    with Daphne() as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            key = base64.b64encode(os.urandom(16)).decode()
            raw.sendall(
                f"GET /ws/pets/?token=not-a-jwt HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n".encode()
            )
            received = b""
            while not received.endswith(b"\x88\x02\x11\x31"):  # the close frame, code 4401
                chunk = raw.recv(65536)
                assert chunk, f"the connection ended after {received!r}"
                received += chunk
            assert received.startswith(b"HTTP/1.1 101 Switching Protocols")
            assert b'"code":"unauthenticated"' in received.replace(b" ", b"")

            raw.settimeout(3)  # the client does not answer the close for 3 s...
            with pytest.raises(TimeoutError):
                raw.recv(1)  # ...and the server neither drops nor resets the connection meanwhile
