"""Twisted's TCP transport, from the inside: what ``realtime.speedups.daphne`` needs of the
transport behind a daphne WebSocket.

Twisted's own ``transport.write`` only queues: it registers the socket with the event loop (an
``epoll_ctl``), sends on the loop's next turn and unregisters it (another one), about half of
the fan-out's CPU on daphne. When Twisted holds nothing unsent for the socket, ``send_now``
therefore sends at once with ``socket.send``; whatever the kernel does not take is queued with
Twisted as usual, so bytes never overtake each other.

Internals used (pinned by tests/realtime/speedups/test_twisted.py): ``tcp.Server``'s
``socket``, ``connected``, ``disconnecting``, ``_writeDisconnected``, ``dataBuffer``,
``offset``, ``_tempDataBuffer`` and ``_tempDataLen``; ``HTTPChannel.requests``.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import tcp
from twisted.web import http


def send_now(transport: Any, data: bytes) -> None:
    """Write ``data`` to a Twisted transport, with a direct ``send`` when nothing is queued."""
    if (
        type(transport) is not tcp.Server  # TLS and other wrappers keep their own buffers
        or not transport.connected
        or transport.disconnecting
        or transport._writeDisconnected
        or transport.dataBuffer
        or transport._tempDataBuffer
    ):
        transport.write(data)
        return
    try:
        sent = transport.socket.send(data)
    except (BlockingIOError, InterruptedError):
        sent = 0
    except OSError:  # a dead peer: let Twisted find out and close the connection its way
        transport.write(data)
        return
    if sent < len(data):
        transport.write(data[sent:])


def unsent_bytes(transport: Any) -> int:
    """The bytes Twisted holds for ``transport`` beyond the kernel's send buffer."""
    unsent: int = len(transport.dataBuffer) - transport.offset + transport._tempDataLen
    return unsent


def holds_unsent(writer: Any) -> bool:
    """Whether a reactor's writer still holds bytes to send (a shutdown waits for them)."""
    return bool(getattr(writer, "dataBuffer", None) or getattr(writer, "_tempDataLen", 0))


def release_http_channel(transport: Any) -> None:
    """Unregister the ``HTTPChannel`` an upgraded connection's transport still has as its
    producer, and break the channel's cycle with its unfinished request, so that both are
    freed now rather than at the garbage collector's next pass."""
    channel = getattr(transport, "producer", None)
    if isinstance(channel, http.HTTPChannel):
        transport.unregisterProducer()
        channel.requests.clear()
