"""The fan-out's fast path on daphne: each event's WebSocket frame is built once, and written
as bytes straight to every recipient's socket.

Through the ASGI ``send`` each delivery costs a coroutine chain, a message dict and autobahn's
framing and logging per socket; profiles put that at a third of the fan-out's CPU
(docs/performance.md). The direct write is taken only when it is exactly what autobahn would
do itself (``autobahn.can_write_frame``), and goes out through ``twisted.send_now``.

Every function here first finds the autobahn protocol behind daphne's ``send``; with the
speed-ups off, on another server, or behind a ``send`` wrapped by middleware there is none, and
each says so (None, or does nothing): the caller then uses the ASGI ``send``.

Internals used (pinned by tests/realtime/speedups/test_daphne.py): daphne builds each
socket's ``send`` as ``functools.partial(Server.handle_reply, protocol)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

from realtime import speedups
from realtime.speedups import autobahn, twisted

FrameWriter = Callable[[bytes], bool]
Closer = Callable[[int], bool]


def protocol_behind(send: Any) -> Any | None:
    """The autobahn protocol behind daphne's ``send``; None for another server, a ``send``
    wrapped by middleware, or with the speed-ups off."""
    if not speedups.enabled():
        return None
    func = getattr(send, "func", None)
    args: tuple[Any, ...] = getattr(send, "args", ())
    if getattr(func, "__qualname__", "") != "Server.handle_reply" or len(args) != 1:
        return None
    protocol = args[0]
    return protocol if autobahn.has_expected_shape(protocol) else None


def direct_writer(send: Any) -> FrameWriter | None:
    """A function that writes a frame to the socket behind daphne's ``send`` and says whether
    it could; None when there is no such socket."""
    protocol = protocol_behind(send)
    return None if protocol is None else partial(_write, protocol)


def _write(protocol: Any, frame: bytes) -> bool:
    if not autobahn.can_write_frame(protocol):
        return False
    twisted.send_now(protocol.transport, frame)
    return True


def direct_closer(send: Any) -> Closer | None:
    """Closes daphne's socket with any RFC 6455 code (1001, 1008, 1009 included, which daphne's
    ``websocket.close`` cannot send); None when there is no such socket."""
    protocol = protocol_behind(send)
    return None if protocol is None else partial(autobahn.close_with, protocol)


def unsent_meter(send: Any) -> Callable[[], int] | None:
    """A function that says how many bytes daphne holds for this socket beyond the kernel's
    send buffer (what Twisted queued, plus what autobahn queued behind it); None when there is
    no such socket. Twisted queues without a bound: this is what a socket that stops reading
    grows by."""
    protocol = protocol_behind(send)
    return None if protocol is None else partial(_unsent, protocol)


def _unsent(protocol: Any) -> int:
    queued = autobahn.queued_bytes(protocol)
    transport = protocol.transport
    return queued if transport is None else queued + twisted.unsent_bytes(transport)


def response_unsent_meter() -> Callable[[], int | None] | None:
    """For a streaming HTTP response's iterator, run by the task daphne started for its request:
    a function that says how many bytes of the response Twisted holds unsent beyond the kernel's
    send buffer; None on another server or with the speed-ups off. daphne's HTTP ``send`` never waits for the client, so a
    response that goes on writing to one that stopped reading grows that buffer without bound.

    Django hands a view no ``send``: daphne's is found in the locals of the task's outermost
    coroutine (the ASGI application's ``__call__``, or Django's ``process_request``). The
    function returns None once the connection is gone."""
    if not speedups.enabled():
        return None
    task = asyncio.current_task()
    frame = getattr(task.get_coro(), "cr_frame", None) if task is not None else None
    send = frame.f_locals.get("send") if frame is not None else None
    func, args = getattr(send, "func", None), tuple(getattr(send, "args", ()))
    if getattr(func, "__qualname__", "") != "Server.handle_reply" or len(args) != 1:
        return None
    request: Any = args[0]
    if not hasattr(getattr(getattr(request, "channel", None), "transport", None), "dataBuffer"):
        return None
    return partial(_response_unsent, request)


def _response_unsent(request: Any) -> int | None:
    channel = request.channel  # None once the request is finished or its connection lost
    transport = getattr(channel, "transport", None)
    if transport is None or not transport.connected:
        return None
    return twisted.unsent_bytes(transport)


def release_upgrade_request(send: Any) -> None:
    """Let go of the HTTP request a daphne WebSocket was upgraded from.

    daphne hands the TCP transport from Twisted's ``HTTPChannel`` to the WebSocket protocol
    but leaves the channel registered as the transport's producer, so the channel, its request,
    both header maps and the request body stay alive for the socket's life (≈ 4 KB per idle
    socket). As a producer the channel does nothing any more: its request never finishes, and
    ``HTTPChannel.pauseProducing`` only pauses the transport between requests."""
    protocol = protocol_behind(send)
    if protocol is not None and protocol.transport is not None:
        twisted.release_http_channel(protocol.transport)


def allow_slow_close(send: Any, seconds: float) -> None:
    """Give the client ``seconds`` to answer a close the server starts.

    autobahn waits 1 s (its default; daphne sets no other), then aborts the TCP connection. The
    reset makes the client's kernel discard what the client had not read yet: a client busy for
    a second loses the handshake's answer, the error frame and the close code it was sent, and
    sees only a dead connection ("did not receive a valid HTTP response" in the flood test)."""
    protocol = protocol_behind(send)
    if protocol is not None:
        autobahn.set_close_handshake_timeout(protocol, seconds)
