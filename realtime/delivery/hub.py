"""The per-process hub: one subscription to the channel layer for the whole server process,
and local fan-out from it to the process's sockets.

Every event arrives here once per process, already encoded. The hub delivers events strictly
in ``seq`` order: one that arrives early waits for its predecessors, and a hole (a message the
layer dropped, a Redis outage, a publisher that died after commit) is filled from the event
log, found either by the next event's arrival or by a periodic check of the log. Each event
goes only to the sockets whose user may see it, found through an index by channel, staff and
user id, so its cost grows with its audience, not with the number of sockets.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, cast

from channels.db import database_sync_to_async
from channels.layers import BaseChannelLayer, get_channel_layer

from realtime import observability
from realtime.log import event_log, selectors
from realtime.delivery import layer, online, revalidation, shutdown, stats
from realtime.delivery.index import ChannelIndex, Handover, Subscriber
from realtime.delivery.limits import SocketLimits
from realtime.conf import setting
from realtime.log.event_log import Delivery
from realtime.observability import delivery_log
from realtime.presence.process import Presence
from realtime.sockets import relay

logger = logging.getLogger(__name__)

STALE_UNNUMBERED_SECONDS = 2.0  # an event still unnumbered this long after insert lost its publisher


class Hub:
    _by_loop: dict[asyncio.AbstractEventLoop, Hub] = {}
    _registry_lock = threading.Lock()

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.position = 0  # the newest seq dispatched (or known to be before this hub started)
        self.channels: defaultdict[str, ChannelIndex] = defaultdict(ChannelIndex)
        self._inbox: asyncio.Queue[Sequence[Delivery] | None] = asyncio.Queue()
        self._pending: dict[int, Delivery] = {}
        self._outbox: asyncio.Queue[list[list[Any]]] = asyncio.Queue()  # this process's writes, for the layer
        self._waiting: list[tuple[int, threading.Event]] = []  # (seq, set once it is fanned out)
        self._ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._seen_at_last_poll = 0
        self.gaps_filled = 0
        self.limits = SocketLimits()  # open sockets per user and address, replay budgets
        self.presence = Presence()  # who has which record open (realtime.presence)

    # --- lifecycle ------------------------------------------------------------------------
    @classmethod
    async def running(cls) -> Hub:
        """The hub of the running event loop, started and subscribed."""
        loop = asyncio.get_running_loop()
        with cls._registry_lock:
            hub = cls._by_loop.get(loop)
            if hub is None:
                hub = cls._by_loop[loop] = cls(loop)
                hub._start()
        await hub._ready.wait()
        return hub

    def _start(self) -> None:
        shutdown.close_sockets_on_shutdown(self)
        self._tasks = [
            self.loop.create_task(self._subscribe(), name="realtime-hub-subscribe"),
            self.loop.create_task(self._dispatch_forever(), name="realtime-hub-dispatch"),
            self.loop.create_task(self._poll_forever(), name="realtime-hub-poll"),
            self.loop.create_task(revalidation.revalidate_forever(self), name="realtime-hub-revalidate"),
            self.loop.create_task(stats.report_forever(self), name="realtime-hub-stats"),
            self.loop.create_task(online.report_forever(), name="realtime-hub-online"),
            self.loop.create_task(self._publish_forever(), name="realtime-hub-publish"),
            *self.presence.start(self.loop),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.presence.stop()
        with self._registry_lock:
            self._by_loop.pop(self.loop, None)

    @classmethod
    async def stop_running(cls) -> None:
        hub = cls._by_loop.get(asyncio.get_running_loop())
        if hub is not None:
            await hub.stop()

    @classmethod
    def deliver_local(cls, deliveries: Sequence[Delivery], *, publish: bool = False, track: bool = False) -> Handover:
        """Hand events committed in this process to its hubs, from any thread. With ``publish``,
        the first hub also publishes them to the layer for the other processes; with ``track``,
        the handover can be waited on until every hub has fanned them out."""
        handover = Handover()
        with cls._registry_lock:
            hubs = list(cls._by_loop.values())
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        for hub in hubs:
            if not hub.loop.is_running():  # a stopped loop's hub sends nothing
                continue
            to_layer = publish and not handover.publishing
            if hub.loop is current:  # already on the hub's loop: nothing to wait for
                hub._take(list(deliveries), None, to_layer)
            else:
                done = threading.Event() if track else None
                try:
                    hub.loop.call_soon_threadsafe(hub._take, list(deliveries), done, to_layer)
                except RuntimeError:  # its loop has closed
                    continue
                if done is not None:
                    handover._fanned_out.append(done)
            handover.publishing |= to_layer
        return handover

    def _take(self, deliveries: list[Delivery], done: threading.Event | None, to_layer: bool) -> None:
        # The dispatch task wakes first: this process's sockets get the events before the
        # publish to Redis (≈ 0.2 ms of this loop's time) is made for the other processes.
        self._inbox.put_nowait(deliveries)
        if to_layer:
            self._outbox.put_nowait([delivery.to_wire() for delivery in deliveries])
        if done is not None:
            self._waiting.append((max(delivery.seq for delivery in deliveries), done))

    async def _publish_forever(self) -> None:
        while True:
            await layer.layer_publisher.send(await self._outbox.get())

    # --- subscribers ----------------------------------------------------------------------
    def add(self, sub: Subscriber) -> None:
        self.channels[sub.channel].add(sub)
        self.limits.opened(sub.user_id, sub.remote)
        online.opened(sub.user_id)

    def discard(self, sub: Subscriber) -> None:
        index = self.channels.get(sub.channel)
        if index is None or sub not in index.everyone:
            return
        index.discard(sub)
        self.limits.closed(sub.user_id, sub.remote)
        online.closed(sub.user_id)

    def shut_down(self) -> int:
        """Close every socket with 1001 (going away); returns how many there were."""
        subs = self.subscribers()
        for sub in subs:
            try:
                sub.shut_down()
            except Exception as error:
                delivery_log.warning("shutdown_failed", channel=sub.channel, user=sub.user_id, error=repr(error))
        self.loop.create_task(self.presence.end_soon())  # sent while the sockets' close frames flush
        return len(subs)

    def connection_count(self) -> dict[str, int]:
        return {name: len(index.everyone) for name, index in self.channels.items() if index.everyone}

    # --- receiving ------------------------------------------------------------------------
    async def _subscribe(self) -> None:
        if not layer.uses_shared_layer():
            logger.warning(
                "realtime: no shared channel layer (REDIS_URL unset): changes made in other "
                "processes reach this process's sockets only through the log poll"
            )
            await self._catch_up_and_open()
            return
        channel_layer = cast(BaseChannelLayer, get_channel_layer())  # a shared layer is configured (above)
        delay = 0.2
        warned = False
        while True:
            try:
                identity = await layer.current_deployment_identity()
                name = await channel_layer.new_channel()
                await channel_layer.group_add(setting("GROUP"), name)
                await self._catch_up_and_open()
                delay = 0.2
                while True:
                    message = await channel_layer.receive(name)
                    kind = message.get("type")
                    if kind != layer.LAYER_MESSAGE_TYPE and kind != relay.LAYER_MESSAGE_TYPE:
                        continue
                    if message.get("deployment") != identity:
                        # Another deployment on this Redis server: pub/sub ignores the database
                        # number. Its events are not for these sockets, and its ids would move
                        # the position past this deployment's own next events.
                        observability.FOREIGN_BATCHES.inc()
                        if not warned:
                            warned = True
                            logger.warning(
                                "realtime hub dropped a batch of another deployment (%s) on its channel "
                                "layer: give each deployment its own REALTIME_REDIS_PREFIX",
                                message.get("deployment"),
                            )
                        continue
                    if kind == relay.LAYER_MESSAGE_TYPE:
                        relay.fan_out(self, message)
                        continue
                    # Events at or below the position (this process's own writes, which it
                    # fanned out already) are dropped before their frames are built.
                    fresh = [Delivery.from_wire(row) for row in message["events"] if row[0] > self.position]
                    if fresh:
                        self._inbox.put_nowait(fresh)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("realtime hub lost its channel-layer subscription; retrying in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _catch_up_and_open(self) -> None:
        if not self._ready.is_set():
            self.position = await database_sync_to_async(selectors.last_seq)()
            self._seen_at_last_poll = self.position
            self._ready.set()
        else:
            self._inbox.put_nowait(None)  # resubscribed: look for what was missed meanwhile

    async def _poll_forever(self) -> None:
        """Find events the layer never brought: numbered ones newer than the position (seen on
        two polls in a row, so that ordinary in-flight ones are not fetched twice), and
        unnumbered ones whose publisher died after commit."""
        await self._ready.wait()
        interval = setting("POLL_INTERVAL")
        while True:
            await asyncio.sleep(interval)
            try:
                newest = await database_sync_to_async(_newest_numbered_after_repair)()
            except Exception:
                logger.exception("realtime hub could not poll the event log")
                continue
            if self._seen_at_last_poll > self.position:
                self._inbox.put_nowait(None)
            self._seen_at_last_poll = newest

    # --- dispatching ----------------------------------------------------------------------
    async def _dispatch_forever(self) -> None:
        await self._ready.wait()
        while True:
            # Everything that arrived meanwhile goes out together: one write per socket.
            batches = [await self._inbox.get()]
            while not self._inbox.empty():
                batches.append(self._inbox.get_nowait())
            try:
                for batch in batches:
                    if batch is not None:
                        self._stash(batch)
                if any(batch is None for batch in batches):
                    await self._fill(upto=None)
                await self._drain()
                self._release_waiting()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("realtime hub failed to dispatch a batch")

    def _release_waiting(self) -> None:
        if self._waiting:
            done = [event for seq, event in self._waiting if seq <= self.position]
            self._waiting = [(seq, event) for seq, event in self._waiting if seq > self.position]
            for event in done:
                event.set()

    def _stash(self, deliveries: Iterable[Delivery]) -> None:
        for delivery in deliveries:
            if delivery.seq > self.position:
                self._pending[delivery.seq] = delivery

    async def _drain(self) -> None:
        while True:
            ready = []
            while (delivery := self._pending.pop(self.position + 1, None)) is not None:
                self.position = delivery.seq
                ready.append(delivery)
            if ready:
                await self._fan_out(ready)
            if not self._pending:
                return
            # A hole: the events before the earliest waiting one are committed (they were
            # numbered first), so the log has them.
            await self._fill(upto=min(self._pending) - 1)
            if self._pending and self.position + 1 not in self._pending:
                # The log has no such events (pruned): move past the hole rather than wait.
                self.position = min(self._pending) - 1

    async def _fill(self, upto: int | None) -> None:
        missing = await database_sync_to_async(selectors.deliveries_between)(self.position, upto)
        if missing:
            self.gaps_filled += 1
            observability.GAPS_FILLED.inc(len(missing))
            logger.info("realtime hub filled %d event(s) after %d from the log", len(missing), self.position)
            self._stash(missing)

    async def _fan_out(self, deliveries: list[Delivery]) -> None:
        """Send consecutive events to their recipients: each socket gets its share of them in
        one write, in ``seq`` order."""
        per_socket: dict[Subscriber, list[Delivery]] = {}
        counts = []
        for delivery in deliveries:
            index = self.channels.get(delivery.channel)
            recipients = index.recipients(delivery) if index is not None else []
            for sub in recipients:
                share = per_socket.get(sub)
                if share is None:
                    per_socket[sub] = [delivery]
                else:
                    share.append(delivery)
            counts.append(len(recipients))
        for sub, share in per_socket.items():
            try:
                if not sub.push_now(share):
                    sub.push(share)
            except Exception as error:
                delivery_log.warning(
                    "push_failed",
                    channel=sub.channel,
                    user=sub.user_id,
                    remote=sub.remote,
                    events=f"{share[0].seq}-{share[-1].seq}",
                    error=repr(error),
                )
        now = time.time()
        for delivery, count in zip(deliveries, counts, strict=False):
            if count:
                observability.DELIVERED.labels(delivery.channel, delivery.kind).inc(count)
                observability.LATENCY.labels(delivery.channel).observe(max(0.0, now - delivery.created_at))
        self.presence.saw(deliveries)  # an owner change takes the old owner out of the record's presence

    async def wait_ready(self) -> None:
        """Until the hub knows its position in the log (and so may dispatch)."""
        await self._ready.wait()

    def subscribers(self) -> list[Subscriber]:
        return [sub for index in self.channels.values() for sub in index.everyone]


def _newest_numbered_after_repair() -> int:
    if selectors.has_stale_unnumbered(STALE_UNNUMBERED_SECONDS):
        event_log.sequence_pending()  # numbered here, fetched by every hub's next poll
    return selectors.last_seq()
