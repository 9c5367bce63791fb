"""The fan-out's fast path on daphne: each event's WebSocket frame is built once, and written
as bytes straight to every recipient's socket.

Through the ASGI ``send`` each delivery costs a coroutine chain, a message dict and autobahn's
framing and logging per socket; profiles put that at a third of the fan-out's CPU
(docs/performance.md). The direct write is taken only when it is exactly what autobahn would
do itself: the connection is open, no fragmented message is half sent, and autobahn has no
queued data that the frame would overtake. Otherwise, and on any other server, the caller
falls back to the ASGI ``send``.

Twisted's own ``transport.write`` only queues: it registers the socket with the event loop
(an ``epoll_ctl``), sends on the loop's next turn and unregisters it (another one), about half
of the fan-out's CPU on daphne. When Twisted holds nothing unsent for the socket, the frame is
therefore sent at once with ``socket.send``; whatever the kernel does not take is queued with
Twisted as usual, so bytes never overtake each other.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from twisted.internet import tcp
from twisted.web import http

FrameWriter = Callable[[bytes], bool]
Closer = Callable[[int], bool]


def _daphne_protocol(send: Any) -> Any | None:
    """The autobahn protocol behind daphne's ``send``; None for another server, or a ``send``
    wrapped by middleware."""
    func = getattr(send, "func", None)
    args: tuple[Any, ...] = getattr(send, "args", ())
    if getattr(func, "__qualname__", "") != "Server.handle_reply" or len(args) != 1:
        return None
    protocol = args[0]
    required = ("state", "STATE_OPEN", "send_state", "SEND_STATE_GROUND", "send_queue", "transport", "sendCloseFrame")
    return protocol if all(hasattr(protocol, name) for name in required) else None


def direct_closer(send: Any) -> Closer | None:
    """Closes daphne's socket with any RFC 6455 code. autobahn's ``sendClose`` (which daphne
    uses) refuses everything but 1000 and 3000–4999, so a close with 1008 (policy) or 1009
    (too big) would reach the client as 1011; its ``sendCloseFrame`` sends the code as given."""
    protocol = _daphne_protocol(send)
    if protocol is None:
        return None

    def close(code: int) -> bool:
        if protocol.state != protocol.STATE_OPEN:
            return False
        protocol.sendCloseFrame(code=code, isReply=False)
        return True

    return close


def direct_writer(send: Any) -> FrameWriter | None:
    """A function that writes a frame to the socket behind daphne's ``send`` and says whether
    it could; None when ``send`` is not daphne's."""
    protocol = _daphne_protocol(send)
    if protocol is None:
        return None
    return partial(_write, protocol)


def unsent_meter(send: Any) -> Callable[[], int] | None:
    """A function that says how many bytes daphne holds for this socket beyond the kernel's
    send buffer (what Twisted queued, plus what autobahn queued behind it); None when ``send``
    is not daphne's. Twisted queues without a bound: this is what a socket that stops reading
    grows by."""
    protocol = _daphne_protocol(send)
    if protocol is None:
        return None
    return partial(_unsent, protocol)


def _unsent(protocol: Any) -> int:
    transport = protocol.transport
    queued = sum(len(data) for data, _sync in protocol.send_queue) if protocol.send_queue else 0
    if transport is None:
        return queued
    unsent: int = queued + len(transport.dataBuffer) - transport.offset + transport._tempDataLen
    return unsent


def release_upgrade_request(send: Any) -> None:
    """Let go of the HTTP request a daphne WebSocket was upgraded from.

    daphne hands the TCP transport from Twisted's ``HTTPChannel`` to the WebSocket protocol
    but leaves the channel registered as the transport's producer, so the channel, its request,
    both header maps and the request body stay alive for the socket's life (≈ 4 KB per idle
    socket). As a producer the channel does nothing any more: its request never finishes, and
    ``HTTPChannel.pauseProducing`` only pauses the transport between requests."""
    protocol = _daphne_protocol(send)
    transport: Any = getattr(protocol, "transport", None)
    channel = getattr(transport, "producer", None)
    if isinstance(channel, http.HTTPChannel):
        transport.unregisterProducer()
        # The channel and its request refer to each other: break the cycle so that both are
        # freed now rather than at the garbage collector's next pass.
        channel.requests.clear()


def allow_slow_close(send: Any, seconds: float) -> None:
    """Give the client ``seconds`` to answer a close the server starts.

    autobahn waits 1 s (its default; daphne sets no other), then aborts the TCP connection. The
    reset makes the client's kernel discard what the client had not read yet: a client busy for
    a second loses the handshake's answer, the error frame and the close code it was sent, and
    sees only a dead connection ("did not receive a valid HTTP response" in the flood test)."""
    protocol = _daphne_protocol(send)
    if protocol is not None:
        protocol.closeHandshakeTimeout = seconds


def skip_eager_debug_formatting() -> None:
    """autobahn pretty-prints its ~30 connection options for a debug log line on every
    handshake, whether debug logging is on or not: 13 % of a connection's set-up CPU on daphne
    (docs/performance.md). Its module's ``pformat`` becomes ``repr``, which formats the same
    values on one line at a tenth of the cost; nothing but autobahn's debug output changes."""
    from autobahn.websocket import protocol

    protocol.pformat = repr  # type: ignore[assignment]  # the speed-up: repr for pformat, which autobahn calls with one argument


def _write(protocol: Any, frame: bytes) -> bool:
    if protocol.state != protocol.STATE_OPEN or protocol.send_state != protocol.SEND_STATE_GROUND or protocol.send_queue:
        return False
    send_now(protocol.transport, frame)
    return True


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
