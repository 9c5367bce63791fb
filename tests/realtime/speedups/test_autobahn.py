"""Guard for ``realtime.speedups.autobahn``: autobahn's protocol still has the state the fast
path reads, still refuses 1001/1008/1009 in ``sendClose`` (which is why ``close_with`` goes to
``sendCloseFrame``), still reads ``closeHandshakeTimeout`` when the server closes, and still
formats its debug line with the module's ``pformat``."""

from __future__ import annotations

import base64
import inspect
import json
import os
import socket
from collections import deque

import pytest
from autobahn.websocket import protocol as autobahn_protocol
from daphne.ws_protocol import WebSocketProtocol
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from realtime.speedups import autobahn
from tests.realtime.speedups.conftest import ON
from tests.support.servers import Daphne


def test_the_protocol_state_the_fast_path_reads_is_set_on_connection():
    made = autobahn_protocol.WebSocketProtocol._connectionMade.__code__.co_names
    assert {"state", "send_state", "send_queue"} <= set(made)
    assert {"STATE_OPEN", "SEND_STATE_GROUND", "sendCloseFrame", "transport"} <= set(dir(WebSocketProtocol))
    assert "closeHandshakeTimeout" in autobahn_protocol.WebSocketServerProtocol.CONFIG_ATTRS


def test_send_close_still_refuses_what_close_with_sends_and_send_close_frame_takes_the_code_as_given():
    protocol = WebSocketProtocol()
    for code in (1001, 1008, 1009):
        with pytest.raises(Exception, match="invalid close code"):
            protocol.sendClose(code=code)
    assert list(inspect.signature(protocol.sendCloseFrame).parameters) == ["code", "reasonUtf8", "isReply"]
    assert "closeHandshakeTimeout" in autobahn_protocol.WebSocketProtocol.sendCloseFrame.__code__.co_names


def test_queued_bytes_sum_autobahns_send_queue_of_pairs():
    protocol = WebSocketProtocol()
    protocol.send_queue = deque([(b"abc", False), (b"de", True)])
    assert autobahn.queued_bytes(protocol) == 5


def test_the_debug_line_is_formatted_with_the_modules_pformat():
    assert "pformat" in autobahn_protocol.WebSocketProtocol._connectionMade.__code__.co_names
    assert autobahn_protocol.pformat is repr  # realtime's AppConfig.ready installed it (the speed-ups are on)


def handshake(port: int, path: str) -> socket.socket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    return raw


@pytest.mark.django_db(transaction=True)
@pytest.mark.live
def test_over_daphne_a_close_carries_1009_and_a_client_gets_more_than_a_second_to_answer():
    """autobahn's default is 1 s, then a reset: a client busy for that long (the flood test's
    own process, under load) lost the frames it had not read yet, its close code included."""
    with Daphne(**ON) as server:
        with connect(f"{server.ws}/ws/services/", max_size=None) as ws:
            assert json.loads(ws.recv(timeout=5))["type"] == "connection_established"
            ws.send(json.dumps({"type": "ping", "pad": "x" * 70_000}))
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009

        with handshake(server.port, "/ws/pets/?token=not-a-jwt") as raw:
            received = b""
            while not received.endswith(b"\x88\x02\x11\x31"):  # the close frame, code 4401
                chunk = raw.recv(65536)
                assert chunk, f"the connection ended after {received!r}"
                received += chunk
            assert received.startswith(b"HTTP/1.1 101 Switching Protocols")
            raw.settimeout(3)  # the client does not answer the close for 3 s...
            with pytest.raises(TimeoutError):
                raw.recv(1)  # ...and the server neither drops nor resets the connection meanwhile
