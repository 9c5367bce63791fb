"""Guard for ``realtime.speedups.twisted``: Twisted's TCP transport still keeps what it has not
sent in ``dataBuffer``/``offset``/``_tempDataBuffer``/``_tempDataLen``, so that a frame sent at
once never overtakes bytes Twisted holds; and an upgraded connection's ``HTTPChannel`` can be let
go of."""

from __future__ import annotations

import gc
import socket
import weakref
from collections import deque
from functools import partial

import pytest
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import tcp
from twisted.internet.testing import StringTransport
from twisted.web.http import HTTPChannel, Request

from realtime.speedups.daphne import release_upgrade_request
from realtime.speedups.twisted import holds_unsent, send_now, unsent_bytes


def queueing_transport(sock: socket.socket, queued_already: bytes = b"") -> tcp.Server:
    """A Twisted TCP transport around one end of a socket pair, recording what it is asked to
    queue instead of queueing it (``write`` is Twisted's buffered path)."""
    transport = tcp.Server.__new__(tcp.Server)
    transport.socket, transport.connected = sock, 1
    transport.disconnecting, transport._writeDisconnected = False, False
    transport.dataBuffer, transport.offset = b"", 0
    transport._tempDataBuffer, transport._tempDataLen = ([queued_already], len(queued_already)) if queued_already else ([], 0)
    transport.queued = []
    transport.write = transport.queued.append
    return transport


def read_all(sock: socket.socket, size: int) -> bytes:
    chunks = b""
    while len(chunks) < size:
        chunks += sock.recv(size - len(chunks))
    return chunks


def test_the_transport_has_the_attributes_the_speedup_reads():
    server_end, client_end = socket.socketpair()
    with server_end, client_end:
        transport = tcp.Server(server_end, protocol=None, client=("127.0.0.1", 1), server=None, sessionno=0, reactor=None)
        for name in ("socket", "connected", "disconnecting", "_writeDisconnected", "dataBuffer", "offset", "_tempDataBuffer"):
            assert hasattr(transport, name), name
        assert unsent_bytes(transport) == 0 and not holds_unsent(transport)


def test_bytes_twisted_queued_count_as_unsent():
    server_end, client_end = socket.socketpair()
    with server_end, client_end:
        transport = tcp.Server(server_end, protocol=None, client=("127.0.0.1", 1), server=None, sessionno=0, reactor=None)
        transport.startWriting = lambda: None  # no reactor here: keep what is written queued
        transport.write(b"x" * 1000)
        assert unsent_bytes(transport) == 1000 and holds_unsent(transport)


def test_a_frame_goes_straight_to_an_idle_socket_and_what_the_kernel_refuses_is_queued_in_order():
    server_end, client_end = socket.socketpair()
    server_end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    server_end.setblocking(False)
    with server_end, client_end:
        transport = queueing_transport(server_end)
        send_now(transport, b"small")
        assert read_all(client_end, 5) == b"small" and transport.queued == []

        big = bytes(range(256)) * 4096  # 1 MiB: more than the socket buffer takes at once
        send_now(transport, big)
        assert len(transport.queued) == 1 and 0 < len(transport.queued[0]) < len(big)
        direct = read_all(client_end, len(big) - len(transport.queued[0]))
        assert direct + transport.queued[0] == big


def test_nothing_overtakes_bytes_twisted_still_holds():
    server_end, client_end = socket.socketpair()
    with server_end, client_end:
        transport = queueing_transport(server_end, queued_already=b"earlier")
        send_now(transport, b"later")
        assert transport.queued == [b"later"]  # behind "earlier", in Twisted's queue
        client_end.setblocking(False)
        with pytest.raises(BlockingIOError):
            client_end.recv(100)


def test_an_upgraded_socket_lets_go_of_the_http_request_it_came_from():
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
