"""The WebSocket consumer: authenticate, register with the process hub, signal ready, relay.

It never writes domain rows and never touches the ORM outside ``database_sync_to_async`` (or
the log-read threads of ``realtime.log.threads``). There is no channel-layer group per socket:
the process's hub (``realtime.delivery.hub``) holds the one subscription and hands each event, already
encoded, to the sockets that may see it. The hub never waits on a socket: what cannot be
written at once is queued here and sent by a task of the socket's own, and a socket that stops
reading is closed with 4008 once it holds ``MAX_SEND_BUFFER`` bytes unsent.

Every socket receives its events in increasing ``event_id`` order: live events wait while a
replay or the stored notifications are being sent, and a ``resume`` that could only be served
out of order is answered with ``resync_required``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer

from realtime import observability
from realtime.speedups import daphne as fastpath
from realtime.log import messages, selectors, services, threads as log_reads
from realtime.sockets.auth import query_param
from realtime.delivery.buckets import refill
from realtime.sockets.client_messages import InvalidMessage, is_number, notification_ids, parse, record_ids, sorted_ids
from realtime.sockets.client_messages import event_id as resume_event_id
from realtime.conf import setting
from realtime.log.event_log import Delivery
from realtime.delivery.hub import Hub
from realtime.observability import delivery_log, security_log
from realtime.declaring.registry import Access, registry

CLOSE_GOING_AWAY = 1001
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_SLOW_CONSUMER = 4008
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_HANDSHAKE_SECONDS = 10.0  # a client busy this long still gets its error and close code
NOTIFICATION = "notification"
MAX_SUBSCRIBED_IDS = 1000


class ChannelConsumer(AsyncWebsocketConsumer):
    # No per-socket channel-layer channel: the hub receives for the whole process.
    channel_layer_alias = "realtime.hub-only"

    channel: str
    user_id: int | None
    is_staff: bool
    remote: str
    hub: Hub | None = None
    closing = False
    sent_upto = 0  # the newest event id written to this socket
    # Set only on the sockets that need them (an idle socket carries none of these):
    _write_frame: fastpath.FrameWriter | None = None
    _unsent: Callable[[], int] | None = None  # bytes daphne holds for this socket beyond the kernel
    _queue: deque[Delivery] | None = None  # events waiting for the sender task
    _queued_bytes = 0  # of the queue and the held-back buffer
    _sender: asyncio.Task | None = None
    _catching_up: asyncio.Task | None = None  # a replay or the stored notifications being sent
    _deferred: deque[tuple[str | None, bytes | None]] | None = None  # messages that arrived meanwhile
    _tasks: set[asyncio.Task] | None = None  # other background work that must not be garbage-collected
    _backlog_ids: frozenset[str] = frozenset()  # stored notifications sent at connect
    _registered = False  # accepted and added to the hub once
    _finished = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Channels' consumer loop without its per-socket machinery: with no channel-layer
        channel there is one source of messages, so they are awaited directly (no task and
        ``asyncio.wait`` per message, ~2 KB less per idle socket). However the loop ends (a
        close, an error, daphne killing a consumer that outlived its client), the socket leaves
        the hub and its counts at once."""
        self.scope, self.base_send, self.channel_layer = scope, send, None
        try:
            while True:
                await self.dispatch(await receive())
                # A queue that already holds messages hands them over without yielding: let the
                # other sockets (and handshakes) run between two messages of a flooding client.
                await asyncio.sleep(0)
        except StopConsumer:
            pass
        finally:
            self._finish()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # No ``aclose_old_connections()`` hop into the sync thread per message, as Channels'
        # dispatch makes: this consumer reaches the ORM only through ``database_sync_to_async``,
        # which closes stale connections itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        self.channel = self.scope["url_route"]["kwargs"]["channel"]
        self.record_filter: set[str] | None = None
        self.floor = 0  # events up to this seq were already sent or are covered by a replay
        self._buffer: list[Delivery] | None = []  # live events held back until ready/replayed
        self.sent = 0
        self.opened = time.monotonic()
        client = self.scope.get("client") or ("?", 0)
        self.remote = str(client[0])
        self.publication = registry().for_channel(self.channel)
        user = self.scope.get("user")
        authenticated = bool(user is not None and user.is_authenticated and user.is_active)
        self.user_id = user.pk if authenticated else None
        self.is_staff = bool(authenticated and user.is_staff)

        if self.publication is None:
            return await self._refuse(CLOSE_NOT_FOUND, "not_found", f"Unknown channel {self.channel!r}.")
        if self.publication.access is not Access.PUBLIC and not authenticated:
            reason = self.scope.get("auth_error") or "Authentication required: pass ?token=<JWT access token>."
            return await self._refuse(CLOSE_UNAUTHENTICATED, "unauthenticated", reason)
        if self.publication.access is Access.STAFF and not self.is_staff:
            return await self._refuse(CLOSE_FORBIDDEN, "forbidden", "This channel is for staff only.")
        hub = await Hub.running()
        too_many = hub.over_socket_limit(self.user_id, self.remote)
        if too_many:
            return await self._refuse(CLOSE_POLICY, "too_many_connections", too_many)

        await self.accept()
        fastpath.release_upgrade_request(self.base_send)
        self._write_frame = fastpath.direct_writer(self.base_send)
        self._unsent = fastpath.unsent_meter(self.base_send)
        self.hub, self._registered = hub, True
        hub.add(self)
        observability.CONNECTIONS.labels(self.channel).inc()
        self._log("connect")
        # Everything after ``connected_at`` is sent live; a replay covers (replayed_from, connected_at].
        self.floor = self.connected_at = self.replayed_from = hub.position
        await self.send(
            messages.control(
                "connection_established",
                channel=self.channel,
                user_id=str(self.user_id) if self.user_id is not None else None,
                last_event_id=self.floor,
            )
        )
        resume_from = query_param(self.scope, "last_event_id")
        if resume_from is not None and not is_number(resume_from):
            observability.INVALID.labels(self.channel).inc()
            await self.send(messages.control(
                "error", code="invalid_message",
                message="last_event_id must be a non-negative integer; nothing was replayed.",
            ))
            resume_from = None
        after = int(resume_from) if resume_from is not None else None
        with_notifications = self.user_id is not None and self.channel == setting("NOTIFICATION_CHANNEL")
        if after is None and not with_notifications:
            self._release_buffer()
        else:
            self._catch_up(self._connect_catch_up(after, with_notifications))

    async def disconnect(self, code: int) -> None:
        self._finish(code)

    def _finish(self, code: int | None = None) -> None:
        """Leave the hub, stop this socket's background work and log the end, once."""
        if self._finished:
            return
        self._finished = True
        self._leave_hub()
        for task in (self._sender, self._catching_up, *(self._tasks or ())):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        self._queue, self._buffer = None, None
        if self._registered:
            self._log("disconnect", code=code, duration=f"{time.monotonic() - self.opened:.3f}", sent=self.sent)

    def _leave_hub(self) -> bool:
        hub, self.hub = self.hub, None
        if hub is None:
            return False
        hub.discard(self)
        observability.CONNECTIONS.labels(self.channel).dec()
        return True

    # --- from the hub -----------------------------------------------------------------------
    def push_now(self, deliveries: list[Delivery]) -> bool:
        """Write these events (in ``seq`` order) straight to the socket, all in one write, and
        say whether that was possible; when it is not, the hub calls ``push`` instead."""
        write = self._write_frame
        if write is None or self._buffer is not None or self._queue:
            return False
        floor, wanted = self.floor, self.record_filter
        frames = []
        for delivery in deliveries:
            if delivery.kind == NOTIFICATION:
                return False  # recorded as delivered: the slow path
            if delivery.seq > floor and (wanted is None or delivery.record_id in wanted):
                frames.append(delivery.frame)
        if frames and not write(frames[0] if len(frames) == 1 else b"".join(frames)):
            return False
        self.floor = max(floor, deliveries[-1].seq)
        if frames:
            self.sent += len(frames)
            self.sent_upto = self.floor
            self._check_unsent()
        return True

    def push(self, deliveries: list[Delivery]) -> None:
        """Queue these events for the socket's sender task (or hold them while a replay runs):
        the hub never waits on one socket."""
        if self.closing or self._finished:
            return
        self._queued_bytes += sum(len(delivery.frame) for delivery in deliveries)
        if self._buffer is not None:
            self._buffer.extend(deliveries)
        else:
            if self._queue is None:
                self._queue = deque()
            self._queue.extend(deliveries)
            if self._sender is None:
                self._sender = asyncio.ensure_future(self._send_queued())
        self._check_unsent()

    async def _send_queued(self) -> None:
        try:
            while self._queue:
                delivery = self._queue.popleft()
                self._queued_bytes -= len(delivery.frame)
                if delivery.seq > self.floor:
                    self.floor = delivery.seq
                    await self._send_delivery(delivery)
        except Exception as error:  # the peer went away mid-send: this socket is done
            delivery_log.warning("send_failed", channel=self.channel, user=self.user_id, remote=self.remote, error=repr(error))
            self._leave_hub()
        finally:
            self._sender = None

    async def _send_delivery(self, delivery: Delivery) -> None:
        if delivery.kind == NOTIFICATION:
            await self.send(delivery.text)
            # Recorded off the fan-out path: the hub must not wait on the database per socket.
            self._background(database_sync_to_async(services.notifications_mark_delivered)(ids=[int(delivery.record_id)]))
        elif self.record_filter is None or delivery.record_id in self.record_filter:
            write = self._write_frame
            if write is None or not write(delivery.frame):
                await self.base_send({"type": "websocket.send", "text": delivery.text})
        else:
            return
        self.sent += 1
        self.sent_upto = max(self.sent_upto, delivery.seq)
        self._check_unsent()

    def _check_unsent(self) -> None:
        """Close a socket that holds more than ``MAX_SEND_BUFFER`` bytes unsent: its client
        stopped reading, and every event for it would otherwise be kept in memory."""
        unsent = self._queued_bytes + (self._unsent() if self._unsent is not None else 0)
        if unsent <= setting("MAX_SEND_BUFFER") or self.closing:
            return
        self.closing = True  # nothing more is queued for it
        self._leave_hub()
        observability.SLOW_CONSUMERS.labels(self.channel).inc()
        security_log.warning("slow_consumer", channel=self.channel, user=self.user_id, remote=self.remote, unsent=unsent)
        self._queue, self._queued_bytes = None, 0
        if self._buffer is not None:
            self._buffer = []
        self._background(self._end(
            CLOSE_SLOW_CONSUMER, "slow_consumer",
            "Too much unsent data: this socket stopped reading. Reconnect with last_event_id.",
        ))

    async def revalidate(self, *, is_active: bool, is_staff: bool) -> None:
        """The user's account changed while connected: stop what they may no longer see."""
        if not is_active:
            self._background(self._end(CLOSE_UNAUTHENTICATED, "unauthenticated", "This account was disabled."))
        elif is_staff != self.is_staff:
            if not is_staff and self.publication.access is Access.STAFF:
                self._background(self._end(CLOSE_FORBIDDEN, "forbidden", "Staff rights were removed."))
            elif self.hub is not None:
                self.hub.discard(self)
                self.is_staff = is_staff
                self.hub.add(self)

    def shut_down(self) -> None:
        """The server process is stopping: close with 1001 now, without waiting on the loop."""
        self.closing = True
        self._leave_hub()
        closer = fastpath.direct_closer(self.base_send)
        if closer is None or not closer(CLOSE_GOING_AWAY):
            self._background(self.base_send({"type": "websocket.close", "code": CLOSE_GOING_AWAY}))

    def _background(self, work: Coroutine[Any, Any, Any] | asyncio.Future) -> None:
        task = asyncio.ensure_future(work)
        if self._tasks is None:
            self._tasks = set()
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _release_buffer(self) -> None:
        held, self._buffer = self._buffer or [], None
        if held:
            self._queued_bytes -= sum(len(delivery.frame) for delivery in held)  # counted again as queued
            self.push(held)

    # --- catching up: stored notifications and replays --------------------------------------
    def _catch_up(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` with live events held back, then let them go. The socket's message loop
        goes on meanwhile, so that its messages are charged as they arrive; they are acted on
        after ``work``, in order."""
        if self._buffer is None:
            self._buffer = []
        self._catching_up = asyncio.ensure_future(self._then_release(work))

    async def _then_release(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
            while self._deferred and not self.closing:
                await self._act(*self._deferred.popleft())
        finally:
            self._catching_up = None
            if not self._finished:
                self._release_buffer()

    async def _connect_catch_up(self, after: int | None, with_notifications: bool) -> None:
        if with_notifications:
            await self._send_stored_notifications(upto=self.connected_at if after is None else after)
        if after is not None:
            if self._charge_replay(after, self.connected_at):
                await self._replay(after=after, upto=self.connected_at)

    async def _send_stored_notifications(self, *, upto: int) -> None:
        """Every notification of the user that no client of theirs confirmed (``ack``) or read,
        each time a socket of theirs connects: oldest first, with their own (older) event ids."""
        pending = await log_reads.read(
            selectors.unconfirmed_notifications, user_id=self.user_id, upto=upto, limit=setting("MAX_NOTIFICATION_BACKLOG")
        )
        self._backlog_ids = frozenset(delivery.record_id for delivery in pending)
        for delivery in pending:
            await self._send_delivery(delivery)

    async def _resume(self, after: int) -> None:
        """A ``resume`` message. Events after ``replayed_from`` went out already (live, or by an
        earlier replay); those between ``after`` and it are sent now, unless something newer
        than ``after`` was already sent or queued: then they could only arrive out of order, and
        the client is told to resync if it may see any of them."""
        upto = self.replayed_from
        if await self._must_resync(after, upto):
            return
        start, promised = after, max(self.sent_upto, self._queue[-1].seq if self._queue else 0)
        if after < upto and promised > after:
            start = min(upto, promised)
            missed = await log_reads.read(
                selectors.replay_page, **self._visibility(), after=after, upto=start, limit=1,
                skip_notifications=self._backlog_ids,
            )
            if missed:
                await self._send_resync()
                return
        await self._send_range(after=start, upto=upto)
        self.replayed_from = min(self.replayed_from, after)

    def _charge_replay(self, after: int, upto: int) -> bool:
        """A replay costs the socket's message budget by the events it may read, one token per
        ``REPLAY_ROWS_PER_TOKEN`` of its range, and as much of its user's replay budget on this
        process (shared by their sockets). Over either: rate limited, as for messages."""
        cost = max(0, upto - after) // setting("REPLAY_ROWS_PER_TOKEN")
        if not cost:
            return True
        if self._take_token(cost) and self.hub is not None and self.hub.take_replay_budget(self.user_id, self.remote, cost):
            return True
        self._rate_limited()
        return False

    async def _replay(self, *, after: int, upto: int) -> None:
        if not await self._must_resync(after, upto):
            await self._send_range(after=after, upto=upto)
            self.replayed_from = min(self.replayed_from, after)

    async def _must_resync(self, after: int, upto: int) -> bool:
        """Whether the range was pruned, is too long, or ``after`` is foreign; if so the client
        is told to reload its state (``resync_required``)."""
        resync = await log_reads.read(
            selectors.replay_needs_resync, **self._visibility(), after=after, upto=upto, limit=setting("MAX_REPLAY")
        )
        observability.REPLAYS.labels("resync_required" if resync else "replayed").inc()
        if resync:
            await self._send_resync()
        return resync

    async def _send_range(self, *, after: int, upto: int) -> None:
        """The events after ``after`` up to ``upto`` that the user may see, read in pages."""
        page_size, cursor = setting("REPLAY_PAGE"), after
        while cursor < upto and not self.closing:
            page = await log_reads.read(selectors.replay_page, **self._visibility(), after=cursor, upto=upto, limit=page_size)
            for delivery in page:
                await self._send_delivery(delivery)
            if len(page) < page_size:
                break
            cursor = page[-1].seq

    async def _send_resync(self) -> None:
        # From the socket's position: live events after it are still to come.
        await self.send(messages.control("resync_required", last_event_id=self.floor))

    def _visibility(self) -> dict[str, Any]:
        return {"channel": self.channel, "user_id": self.user_id, "is_staff": self.is_staff}

    # --- from the client --------------------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing:
            return  # frames already in flight after we closed: nothing more to say
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > setting("MAX_MESSAGE_BYTES"):
            security_log.warning("frame_too_big", channel=self.channel, user=self.user_id, remote=self.remote, size=size)
            await self.close(CLOSE_TOO_BIG)
            return
        if not self._take_token():
            self._rate_limited()
            return
        if self._catching_up is not None:
            if self._deferred is None:
                self._deferred = deque()
            self._deferred.append((text_data, bytes_data))
            return
        await self._act(text_data, bytes_data)

    async def _act(self, text_data: str | None, bytes_data: bytes | None) -> None:
        try:
            if text_data is None:
                raise InvalidMessage("Binary frames are not accepted; send JSON text.")
            await self._handle(parse(text_data))
        except InvalidMessage as exc:
            observability.INVALID.labels(self.channel).inc()
            security_log.warning("invalid_message", channel=self.channel, user=self.user_id, remote=self.remote, reason=str(exc))
            await self.send(messages.control("error", code="invalid_message", message=str(exc)))

    def _take_token(self, cost: int = 1) -> bool:
        """A token bucket per connection: ``MESSAGES_PER_SECOND`` with bursts of ``MESSAGE_BURST``."""
        now = time.monotonic()
        rate, burst = setting("MESSAGES_PER_SECOND"), setting("MESSAGE_BURST")
        tokens, last = getattr(self, "_bucket", (float(burst), now))
        tokens = refill(tokens, last, now, rate, burst)
        if tokens < cost:
            self._bucket = (tokens, now)
            return False
        self._bucket = (tokens - cost, now)
        return True

    def _rate_limited(self) -> None:
        if self.closing:
            return
        security_log.warning("rate_limited", channel=self.channel, user=self.user_id, remote=self.remote)
        self.closing = True  # nothing more from this client is acted on
        self._background(self._end(CLOSE_POLICY, "rate_limited", "Too many messages; slow down."))

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        on_own_notifications = self.user_id is not None and self.channel == setting("NOTIFICATION_CHANNEL")
        if kind == "ping":
            await self.send(messages.control("pong"))
        elif kind in ("subscribe", "unsubscribe"):
            self._narrow(kind, record_ids(message))
            await self.send(
                messages.control("subscriptions", ids=sorted_ids(self.record_filter) if self.record_filter else None)
            )
        elif kind == "resume":
            after = resume_event_id(message)
            if not self._charge_replay(after, self.replayed_from):
                return
            if asyncio.current_task() is self._catching_up:
                await self._resume(after)  # one that arrived during a replay: its turn now
            else:
                self._catch_up(self._resume(after))
        elif kind == "mark_read" and on_own_notifications:
            marked = await database_sync_to_async(services.notifications_mark_read)(
                user_id=self.user_id, ids=notification_ids(message)
            )
            await self.send(messages.control("marked_read", ids=marked))
        elif kind == "ack" and on_own_notifications:
            await database_sync_to_async(services.notifications_acknowledge)(
                user_id=self.user_id, ids=notification_ids(message)
            )
        else:
            raise InvalidMessage(
                f"Unknown message type {kind!r} on {self.channel}; expected ping, subscribe, unsubscribe, resume"
                + (", ack or mark_read." if on_own_notifications else ".")
            )

    def _narrow(self, kind: str, ids: set[str]) -> None:
        if kind == "subscribe":
            wanted = (self.record_filter or set()) | ids
            if len(wanted) > MAX_SUBSCRIBED_IDS:
                raise InvalidMessage(f"At most {MAX_SUBSCRIBED_IDS} records per socket; unsubscribe some first.")
            self.record_filter = wanted
        elif self.record_filter is not None:
            remaining = (self.record_filter - ids) if ids else None
            self.record_filter = remaining or None  # no record left: back to the whole channel

    # --- helpers ----------------------------------------------------------------------------
    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self.closing = True
        self._leave_hub()  # a closing socket gets no more events
        fastpath.allow_slow_close(self.base_send, CLOSE_HANDSHAKE_SECONDS)
        if code in (CLOSE_POLICY, CLOSE_TOO_BIG):
            closer = fastpath.direct_closer(self.base_send)
            if closer is not None and closer(code):
                return
        await super().close(code, reason)

    async def _refuse(self, code: int, error: str, message: str) -> None:
        """Accept, say why, and close with a code the client can see (a refused handshake
        would only show the browser a 1006)."""
        observability.REFUSED.labels(error).inc()
        self._log("refused", code=code, reason=error)
        security_log.warning(error, channel=self.channel, user=self.user_id, remote=self.remote, detail=message)
        await self.accept()
        await self._end(code, error, message)

    async def _end(self, code: int, error: str, message: str) -> None:
        """Say why, then close; bounded, since a client that stopped reading may never take it.
        The socket gets no more events from the moment the server decides to close it."""
        self.closing = True
        self._leave_hub()
        try:
            await asyncio.wait_for(self._say_and_close(code, error, message), CLOSE_HANDSHAKE_SECONDS)
        except asyncio.TimeoutError:
            delivery_log.warning("close_timed_out", channel=self.channel, user=self.user_id, remote=self.remote, code=code)

    async def _say_and_close(self, code: int, error: str, message: str) -> None:
        await self.send(messages.control("error", code=error, message=message))
        await self.close(code)

    def _log(self, event: str, **fields: Any) -> None:
        observability.log_connection(
            event, channel=self.channel, user=self.user_id if self.user_id is not None else "anonymous",
            remote=self.remote, **fields,
        )
