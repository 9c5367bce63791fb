"""Channels' consumer loop and dispatch, without their per-socket and per-message costs.

- ``run``: ``AsyncConsumer.__call__`` without its machinery for a consumer that has no
  channel-layer channel: with one source of messages they are awaited directly, with no task
  and ``asyncio.wait`` per message (``await_many_dispatch``), ~2 KB less per idle socket.
- ``dispatch``: ``AsyncConsumer.dispatch`` without the ``aclose_old_connections()`` hop into
  the shared sync thread (80–114 µs, queued behind every other socket's) before each message:
  for a consumer that reaches the ORM only through ``database_sync_to_async``, which closes
  stale connections itself.

Internals used (pinned by tests/realtime/speedups/test_channels.py): the attributes
``AsyncConsumer.__call__`` sets (``scope``, ``base_send``, ``channel_layer``), that it catches
``StopConsumer``, and ``get_handler_name``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.consumer import AsyncConsumer, get_handler_name
from channels.exceptions import StopConsumer


async def run(consumer: AsyncConsumer, scope: dict[str, Any], receive: Any, send: Any) -> None:
    """What ``consumer(scope, receive, send)`` does for a consumer without a layer channel."""
    consumer.scope, consumer.base_send, consumer.channel_layer = scope, send, None
    try:
        while True:
            await consumer.dispatch(await receive())
            # A queue that already holds messages hands them over without yielding: let the
            # other sockets (and handshakes) run between two messages of a flooding client.
            await asyncio.sleep(0)
    except StopConsumer:
        pass


async def dispatch(consumer: AsyncConsumer, message: dict[str, Any]) -> None:
    """``consumer.dispatch(message)`` without closing old database connections first."""
    handler = getattr(consumer, get_handler_name(message), None)
    if handler is None:
        raise ValueError(f"No handler for message type {message['type']}")
    await handler(message)
