"""Carries numbered events from the process that committed them to every server process's hub.

With a shared channel layer (channels_redis) a batch of events is one ``group_send`` to the
group every hub subscribes to: one Redis PUBLISH per batch, however many sockets listen. It is
sent from one long-lived event loop in a background thread, so sync code (views, the admin, a
shell) never pays for a new loop and Redis connection per call. The hubs of the committing
process itself (a server process that served the write) are handed the batch directly as well,
at once: they skip the publisher thread and the Redis round trip, and ignore the layer's copy
when it comes back (a hub drops events at or below its position). Without a shared layer (the
in-memory layer) that direct hand-off is the only path.

Publishing never raises into the caller: the events are already in the log, and every hub
polls the log for what the layer failed to bring (``realtime.hub``).
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import threading
import time
from collections.abc import Sequence

from channels.layers import InMemoryChannelLayer, get_channel_layer

from realtime import observability
from realtime.conf import setting
from realtime.event_log import Delivery

logger = logging.getLogger(__name__)

LAYER_MESSAGE_TYPE = "realtime.events"  # picks the hub's handler; not the client-facing type
OUTAGE_BACKOFF_SECONDS = 1.0


def uses_shared_layer() -> bool:
    layer = get_channel_layer()
    return layer is not None and not isinstance(layer, InMemoryChannelLayer)


class LayerPublisher:
    """A daemon thread with its own event loop that sends batches to the channel layer in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[list[list] | None] | None = None
        self._unsent = 0
        self._idle = threading.Condition()
        self._down_until = 0.0

    def submit(self, deliveries: Sequence[Delivery]) -> None:
        loop, queue = self._start()
        with self._idle:
            self._unsent += 1
        loop.call_soon_threadsafe(queue.put_nowait, [d.to_wire() for d in deliveries])

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything submitted so far was sent (or given up on)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._unsent == 0, timeout)

    def _start(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Queue]:
        with self._lock:
            if self._loop is None:
                ready = threading.Event()
                threading.Thread(target=self._run, args=(ready,), name="realtime-publisher", daemon=True).start()
                ready.wait()
                atexit.register(self.flush)
            assert self._loop is not None and self._queue is not None
            return self._loop, self._queue

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._queue = asyncio.Queue()
        self._loop = loop
        ready.set()
        loop.run_until_complete(self._send_forever())

    async def _send_forever(self) -> None:
        assert self._queue is not None
        while True:
            batch = await self._queue.get()
            try:
                if batch is not None and time.monotonic() >= self._down_until:
                    await get_channel_layer().group_send(setting("GROUP"), {"type": LAYER_MESSAGE_TYPE, "events": batch})
            except Exception:
                # The log keeps the events; hubs fetch them when they poll.
                observability.PUBLISH_FAILURES.inc()
                self._down_until = time.monotonic() + OUTAGE_BACKOFF_SECONDS
                logger.warning("channel layer unreachable; hubs will read %d event(s) from the log", len(batch or []))
            finally:
                with self._idle:
                    self._unsent -= 1
                    self._idle.notify_all()


layer_publisher = LayerPublisher()


def publish(deliveries: Sequence[Delivery]) -> None:
    """Hand numbered events to every hub that should fan them out."""
    if not deliveries:
        return
    for delivery in deliveries:
        observability.PUBLISHED.labels(delivery.channel).inc()
    from realtime.hub import Hub

    # This process's own sockets first, with no round trip through Redis (their hubs drop the
    # copy the layer brings back); then every other process through the layer.
    Hub.deliver_local(deliveries)
    if uses_shared_layer():
        layer_publisher.submit(deliveries)
