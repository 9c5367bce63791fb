"""The WebSocket consumer: authenticate, register with the process hub, signal ready, relay.

It never writes domain rows and never touches the ORM outside ``database_sync_to_async``.
There is no channel-layer group per socket: the process's hub (``realtime.hub``) holds the one
subscription and pushes each event, already encoded, to the sockets that may see it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer

from realtime import fastpath, messages, observability, selectors, services
from realtime.auth import query_param
from realtime.conf import setting
from realtime.event_log import Delivery
from realtime.hub import Hub
from realtime.observability import security_log
from realtime.registry import Access, registry

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_HANDSHAKE_SECONDS = 10.0  # a client busy this long still gets its error and close code
NOTIFICATION = "notification"
MAX_SUBSCRIBED_IDS = 1000


class InvalidMessage(ValueError):
    pass


class ChannelConsumer(AsyncWebsocketConsumer):
    # No per-socket channel-layer channel: the hub receives for the whole process.
    channel_layer_alias = "realtime.hub-only"

    channel: str
    user_id: int | None
    is_staff: bool
    remote: str
    _write_frame: fastpath.FrameWriter | None = None
    _tasks: set[asyncio.Task] | None = None  # background work that must not be garbage-collected
    closing = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Channels' consumer loop without its per-socket machinery: with no channel-layer
        channel there is one source of messages, so they are awaited directly (no task and
        ``asyncio.wait`` per message, ~2 KB less per idle socket)."""
        self.scope, self.base_send, self.channel_layer = scope, send, None
        try:
            while True:
                await self.dispatch(await receive())
                # A queue that already holds messages hands them over without yielding: let the
                # other sockets (and handshakes) run between two messages of a flooding client.
                await asyncio.sleep(0)
        except StopConsumer:
            pass

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
        self.hub: Hub | None = None
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
        self.hub = hub
        hub.add(self)
        observability.CONNECTIONS.labels(self.channel).inc()
        self._log("connect")
        self.floor = self.connected_at = hub.position
        await self.send(
            messages.control(
                "connection_established",
                channel=self.channel,
                user_id=str(self.user_id) if self.user_id is not None else None,
                last_event_id=self.floor,
            )
        )
        resume_from = query_param(self.scope, "last_event_id")
        if resume_from is not None and not _is_number(resume_from):
            observability.INVALID.labels(self.channel).inc()
            await self.send(messages.control(
                "error", code="invalid_message",
                message="last_event_id must be a non-negative integer; nothing was replayed.",
            ))
        elif resume_from is not None:
            await self._replay(after=int(resume_from), upto=self.floor)
        elif self.user_id is not None and self.channel == setting("NOTIFICATION_CHANNEL"):
            await self._send_undelivered_notifications()
        await self._release_buffer()

    async def disconnect(self, code: int) -> None:
        if self.hub is not None:
            self.hub.discard(self)
            self.hub = None
            observability.CONNECTIONS.labels(self.channel).dec()
            self._log("disconnect", code=code, duration=f"{time.monotonic() - self.opened:.3f}", sent=self.sent)

    # --- from the hub -----------------------------------------------------------------------
    def push_now(self, deliveries: list[Delivery]) -> bool:
        """Write these events (in ``seq`` order) straight to the socket, all in one write, and
        say whether that was possible; when it is not, the hub awaits ``push`` instead."""
        write = self._write_frame
        if write is None or self._buffer is not None:
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
        self.sent += len(frames)
        return True

    async def push(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            if self._buffer is not None:
                self._buffer.append(delivery)
            elif delivery.seq > self.floor:
                self.floor = delivery.seq
                await self._send_delivery(delivery)

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

    async def revalidate(self, *, is_active: bool, is_staff: bool) -> None:
        """The user's account changed while connected: stop what they may no longer see."""
        if not is_active:
            await self._end(CLOSE_UNAUTHENTICATED, "unauthenticated", "This account was disabled.")
        elif is_staff != self.is_staff:
            if not is_staff and self.publication.access is Access.STAFF:
                await self._end(CLOSE_FORBIDDEN, "forbidden", "Staff rights were removed.")
            elif self.hub is not None:
                self.hub.discard(self)
                self.is_staff = is_staff
                self.hub.add(self)

    def _background(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        if self._tasks is None:
            self._tasks = set()
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _release_buffer(self) -> None:
        held, self._buffer = self._buffer or [], None
        await self.push(held)

    async def _send_undelivered_notifications(self) -> None:
        pending = await database_sync_to_async(selectors.undelivered_notifications)(self.user_id, self.floor)
        for delivery in pending:
            await self.send(delivery.text)
        self.sent += len(pending)
        if pending:
            ids = [int(d.record_id) for d in pending]
            await database_sync_to_async(services.notifications_mark_delivered)(ids=ids)

    async def _replay(self, *, after: int, upto: int) -> None:
        replay = await database_sync_to_async(selectors.replay)(
            channel=self.channel,
            after=after,
            upto=upto,
            user_id=self.user_id,
            is_staff=self.is_staff,
            limit=setting("MAX_REPLAY"),
        )
        if replay.resync_required:
            observability.REPLAYS.labels("resync_required").inc()
            await self.send(messages.control("resync_required", last_event_id=upto))
            return
        observability.REPLAYS.labels("replayed").inc()
        for delivery in replay.deliveries:
            await self._send_delivery(delivery)

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
            security_log.warning("rate_limited", channel=self.channel, user=self.user_id, remote=self.remote)
            await self._end(CLOSE_POLICY, "rate_limited", "Too many messages; slow down.")
            return
        try:
            if text_data is None:
                raise InvalidMessage("Binary frames are not accepted; send JSON text.")
            await self._handle(_parse(text_data))
        except InvalidMessage as exc:
            observability.INVALID.labels(self.channel).inc()
            security_log.warning("invalid_message", channel=self.channel, user=self.user_id, remote=self.remote, reason=str(exc))
            await self.send(messages.control("error", code="invalid_message", message=str(exc)))

    def _take_token(self) -> bool:
        """A token bucket per connection: ``MESSAGES_PER_SECOND`` with bursts of ``MESSAGE_BURST``."""
        now = time.monotonic()
        rate, burst = setting("MESSAGES_PER_SECOND"), setting("MESSAGE_BURST")
        tokens, last = getattr(self, "_bucket", (float(burst), now))
        tokens = min(float(burst), tokens + (now - last) * rate)
        if tokens < 1.0:
            self._bucket = (tokens, now)
            return False
        self._bucket = (tokens - 1.0, now)
        return True

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ping":
            await self.send(messages.control("pong"))
        elif kind in ("subscribe", "unsubscribe"):
            ids = _ids(message)
            if kind == "subscribe":
                wanted = (self.record_filter or set()) | ids
                if len(wanted) > MAX_SUBSCRIBED_IDS:
                    raise InvalidMessage(f"At most {MAX_SUBSCRIBED_IDS} records per socket; unsubscribe some first.")
                self.record_filter = wanted
            elif self.record_filter is not None:
                self.record_filter = (self.record_filter - ids) if ids else None
                if not self.record_filter:
                    self.record_filter = None  # no record left: back to the whole channel
            await self.send(
                messages.control("subscriptions", ids=_sorted_ids(self.record_filter) if self.record_filter else None)
            )
        elif kind == "resume":
            after = message.get("last_event_id")
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                raise InvalidMessage("resume needs last_event_id, a non-negative integer.")
            # Everything after connected_at was sent live; replay only what came before.
            self._buffer = []
            await self._replay(after=after, upto=self.connected_at)
            await self._release_buffer()
        elif kind == "mark_read" and self.user_id is not None and self.channel == setting("NOTIFICATION_CHANNEL"):
            ids = _ids(message)
            if not all(_is_number(i) for i in ids):
                raise InvalidMessage('"ids" must be notification ids (integers).')
            marked = await database_sync_to_async(services.notifications_mark_read)(
                user_id=self.user_id, ids=[int(i) for i in ids]
            )
            await self.send(messages.control("marked_read", ids=marked))
        else:
            raise InvalidMessage(
                f"Unknown message type {kind!r} on {self.channel}; expected ping, subscribe, unsubscribe, resume"
                + (" or mark_read." if self.channel == setting("NOTIFICATION_CHANNEL") else ".")
            )

    # --- helpers ----------------------------------------------------------------------------
    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self.closing = True
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
        await self.send(messages.control("error", code=error, message=message))
        await self.close(code)

    def _log(self, event: str, **fields: Any) -> None:
        observability.log_connection(
            event, channel=self.channel, user=self.user_id if self.user_id is not None else "anonymous",
            remote=self.remote, **fields,
        )


def _parse(text: str) -> dict[str, Any]:
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InvalidMessage("Invalid JSON.") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise InvalidMessage('Messages are JSON objects with a "type", e.g. {"type": "ping"}.')
    return message


def _ids(message: dict[str, Any]) -> set[str]:
    ids = message.get("ids")
    if not isinstance(ids, list) or len(ids) > 1000:
        raise InvalidMessage('"ids" must be a list of at most 1000 record ids.')
    if not all((isinstance(i, int) and not isinstance(i, bool)) or (isinstance(i, str) and 0 < len(i) <= 64) for i in ids):
        raise InvalidMessage('"ids" must hold integers or short strings.')
    return {str(i) for i in ids}


def _is_number(value: str) -> bool:
    """An id the database can hold: ASCII digits (``"²".isdigit()`` is true), below 2**63."""
    return value.isascii() and value.isdigit() and int(value) < 2**63


def _sorted_ids(ids: set[str]) -> list[int | str]:
    numbers = sorted(int(i) for i in ids if _is_number(i))
    return [*numbers, *sorted(i for i in ids if not _is_number(i))]
