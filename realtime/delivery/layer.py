"""The channel layer as the hubs use it: the message type of a batch of events, whether the
layer is shared between processes, the publisher thread that sends batches from sync code, and
this deployment's identity.

Every batch carries this deployment's identity (a random id made at its first migrate and kept
in its database), and hubs drop batches of any other: two deployments on one Redis server share
its pub/sub channels whatever their database numbers, and another deployment's events would
reach the wrong sockets and move a hub's position past its own events.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any, cast

from channels.db import database_sync_to_async
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer
from django.db import DEFAULT_DB_ALIAS

from realtime import observability
from realtime.conf import setting
from realtime.log.event_log import Delivery

logger = logging.getLogger(__name__)

LAYER_MESSAGE_TYPE = "realtime.events"  # picks the hub's handler; not the client-facing type
OUTAGE_BACKOFF_SECONDS = 1.0


_identity: str | None = None  # this process's deployment identity, read once
_identity_lock = threading.Lock()


def deployment_identity() -> str:
    """This deployment's identity: read from its database once per process (made there if the
    row is missing)."""
    global _identity
    if _identity is None:
        with _identity_lock:
            if _identity is None:
                _identity = _stored_identity(default=uuid.uuid4().hex)
    return _identity


async def current_deployment_identity() -> str:
    """``deployment_identity()`` from async code: no thread hop once it is known."""
    return _identity if _identity is not None else await database_sync_to_async(deployment_identity)()


def _stored_identity(*, default: str, using: str = DEFAULT_DB_ALIAS, model: Any = None) -> str:
    from realtime.models import Deployment

    row, _ = (model or Deployment).objects.using(using).get_or_create(pk=1, defaults={"identity": default})
    return row.identity


def ensure_deployment_identity(*, using: str = DEFAULT_DB_ALIAS, apps: Any = None, **kwargs: Any) -> None:
    """``post_migrate``: the first migrate makes the identity. A flush, which empties the table
    and sends ``post_migrate`` again, gets back the identity this process already works under,
    so that its peers on the same database keep hearing each other."""
    try:
        model = apps.get_model("realtime", "Deployment") if apps is not None else None
    except LookupError:  # migrated back to before the table existed
        return
    _stored_identity(default=_identity or uuid.uuid4().hex, using=using, model=model)


def uses_shared_layer() -> bool:
    layer = get_channel_layer()
    return layer is not None and not isinstance(layer, InMemoryChannelLayer)


class LayerPublisher:
    """A daemon thread with its own event loop that sends batches to the channel layer in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[list[list[Any]] | None] | None = None
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

    def _start(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Queue[list[list[Any]] | None]]:
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
                if batch is not None:
                    await self.send(batch)
            finally:
                with self._idle:
                    self._unsent -= 1
                    self._idle.notify_all()

    async def send(self, batch: list[list[Any]]) -> None:
        """One ``group_send`` of a batch, from whichever event loop awaits it (this publisher's,
        or a hub's). Never raises: after a failure, batches are skipped for a second."""
        if time.monotonic() < self._down_until:
            return
        try:
            message = {"type": LAYER_MESSAGE_TYPE, "deployment": await current_deployment_identity(), "events": batch}
            channel_layer = cast(BaseChannelLayer, get_channel_layer())  # no layer: fails below, and is caught
            await channel_layer.group_send(setting("GROUP"), message)
        except Exception:
            # The log keeps the events; hubs fetch them when they poll.
            observability.PUBLISH_FAILURES.inc()
            self._down_until = time.monotonic() + OUTAGE_BACKOFF_SECONDS
            logger.warning("channel layer unreachable; hubs will read %d event(s) from the log", len(batch))


layer_publisher = LayerPublisher()
