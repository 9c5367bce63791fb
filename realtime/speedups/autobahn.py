"""autobahn's WebSocket protocol, from the inside: what ``realtime.speedups.daphne`` needs of
the protocol behind a daphne WebSocket.

Internals used (pinned by tests/realtime/speedups/test_autobahn.py): ``WebSocketProtocol``'s
``state``/``STATE_OPEN``, ``send_state``/``SEND_STATE_GROUND``, ``send_queue`` (of
``(bytes, sync)`` pairs), ``transport``, ``sendCloseFrame(code=, isReply=)`` and
``closeHandshakeTimeout``; the ``pformat`` that ``autobahn.websocket.protocol`` imported.
"""

from __future__ import annotations

from typing import Any

# What a protocol must have for the functions below to use it.
PROTOCOL_ATTRIBUTES = ("state", "STATE_OPEN", "send_state", "SEND_STATE_GROUND", "send_queue", "transport", "sendCloseFrame")


def has_expected_shape(protocol: Any) -> bool:
    return all(hasattr(protocol, name) for name in PROTOCOL_ATTRIBUTES)


def can_write_frame(protocol: Any) -> bool:
    """Whether a whole frame may be written past autobahn now: exactly what autobahn would do
    itself (the connection is open, no fragmented message is half sent, nothing is queued
    that the frame would overtake)."""
    return protocol.state == protocol.STATE_OPEN and protocol.send_state == protocol.SEND_STATE_GROUND and not protocol.send_queue


def queued_bytes(protocol: Any) -> int:
    """What autobahn queued for the transport and has not handed to it yet."""
    return sum(len(data) for data, _sync in protocol.send_queue) if protocol.send_queue else 0


def close_with(protocol: Any, code: int) -> bool:
    """Start the close handshake with any RFC 6455 code: autobahn's ``sendClose`` (which daphne
    uses) refuses all but 1000 and 3000–4999, its ``sendCloseFrame`` sends the code as given.
    False when the connection is no longer open."""
    if protocol.state != protocol.STATE_OPEN:
        return False
    protocol.sendCloseFrame(code=code, isReply=False)
    return True


def set_close_handshake_timeout(protocol: Any, seconds: float) -> None:
    """How long autobahn waits for the client's answer to a close the server starts (1 s by
    default; daphne sets no other) before it aborts the TCP connection."""
    protocol.closeHandshakeTimeout = seconds


def skip_eager_debug_formatting() -> None:
    """autobahn pretty-prints its ~30 connection options for a debug log line on every
    handshake, whether debug logging is on or not: 13 % of a connection's set-up CPU on daphne
    (docs/performance.md). Its module's ``pformat`` becomes ``repr``, which formats the same
    values on one line at a tenth of the cost; nothing but autobahn's debug output changes."""
    from autobahn.websocket import protocol

    protocol.pformat = repr  # type: ignore[assignment]  # autobahn calls it with one value only
