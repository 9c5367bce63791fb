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
from collections.abc import Awaitable, Callable
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer

from realtime import observability, speedups
from realtime.conf import setting
from realtime.declaring.registry import Access, registry
from realtime.delivery.hub import Hub
from realtime.log import messages
from realtime.log.event_log import Delivery
from realtime.observability import delivery_log, security_log
from realtime.sockets import close_codes
from realtime.sockets.auth import query_param
from realtime.sockets.catching_up import CatchingUp
from realtime.sockets.client_messages import is_number
from realtime.presence import handlers as presence_handlers
from realtime.sockets.protocol import ClientProtocol
from realtime.sockets.sending import Sending
from realtime.speedups import channels as consumer_loop
from realtime.speedups import daphne as fastpath


class ChannelConsumer(ClientProtocol, CatchingUp, Sending, AsyncWebsocketConsumer):
    # No per-socket channel-layer channel: the hub receives for the whole process.
    channel_layer_alias = "realtime.hub-only"

    channel: str
    user_id: int | None
    is_staff: bool
    remote: str
    display_name = ""  # the name presence shows, read at the first join (realtime.presence)
    hub: Hub | None = None
    closing = False
    sent_upto = 0  # the newest event id written to this socket
    # Set only on the sockets that need them (an idle socket carries none of these):
    _write_frame: fastpath.FrameWriter | None = None
    _unsent: Callable[[], int] | None = None  # bytes daphne holds for this socket beyond the kernel
    _queue: deque[Delivery] | None = None  # events waiting for the sender task
    _queued_bytes = 0  # of the queue and the held-back buffer
    _sender: asyncio.Task[None] | None = None
    _catching_up: asyncio.Task[None] | None = None  # a replay or the stored notifications being sent
    _deferred: deque[tuple[str | None, bytes | None]] | None = None  # messages that arrived meanwhile
    _tasks: set[asyncio.Future[Any]] | None = None  # other background work that must not be garbage-collected
    _backlog_ids: frozenset[str] = frozenset()  # stored notifications sent at connect
    relayed_at: dict[str, float] | None = None  # when each record's relay message last went (its rate)
    relay_name: str | None = None  # the user's name in relayed messages, read at the first one
    _registered = False  # accepted and added to the hub once
    _finished = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Channels' consumer loop (or, with the speed-ups, ``realtime.speedups.channels.run``,
        without its per-socket task). However the loop ends (a close, an error, daphne killing a
        consumer that outlived its client), the socket leaves the hub and its counts at once."""
        try:
            if speedups.enabled():
                await consumer_loop.run(self, scope, receive, send)
            else:
                await super().__call__(scope, receive, send)
        finally:
            self._finish()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # With the speed-ups, no ``aclose_old_connections()`` hop into the sync thread per
        # message: this consumer reaches the ORM only through ``database_sync_to_async``, which
        # closes stale connections itself.
        if speedups.enabled():
            await consumer_loop.dispatch(self, message)
        else:
            await super().dispatch(message)

    async def connect(self) -> None:
        self.channel = self.scope["url_route"]["kwargs"]["channel"]
        self.record_filter = None
        self.floor = 0  # events up to this seq were already sent or are covered by a replay
        self._buffer = []  # live events held back until ready/replayed
        self.sent = 0
        self.opened = time.monotonic()
        client = self.scope.get("client") or ("?", 0)
        self.remote = str(client[0])
        self.publication = registry().for_channel(self.channel)
        user = self.scope.get("user")
        authenticated = bool(user is not None and user.is_authenticated and user.is_active)
        self.user_id = user.pk if authenticated and user is not None else None
        self.is_staff = bool(authenticated and user is not None and user.is_staff)

        if self.publication is None:
            return await self._refuse(close_codes.NOT_FOUND, "not_found", f"Unknown channel {self.channel!r}.")
        if self.publication.access is not Access.PUBLIC and not authenticated:
            reason = self.scope.get("auth_error") or "Authentication required: pass ?token=<JWT access token>."
            return await self._refuse(close_codes.UNAUTHENTICATED, "unauthenticated", reason)
        if self.publication.access is Access.STAFF and not self.is_staff:
            return await self._refuse(close_codes.FORBIDDEN, "forbidden", "This channel is for staff only.")
        hub = await Hub.running()
        too_many = hub.limits.over_socket_limit(self.user_id, self.remote)
        if too_many:
            return await self._refuse(close_codes.POLICY, "too_many_connections", too_many)

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
            await self.send(
                messages.control(
                    "error",
                    code="invalid_message",
                    message="last_event_id must be a non-negative integer; nothing was replayed.",
                )
            )
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
        hub.presence.socket_gone(self)
        observability.CONNECTIONS.labels(self.channel).dec()
        return True

    async def revalidate(self, *, is_active: bool, is_staff: bool) -> None:
        """The user's account changed while connected: stop what they may no longer see."""
        staff_only = self.publication is not None and self.publication.access is Access.STAFF
        if self.hub is not None and (not is_active or (not is_staff and staff_only)):
            self.hub.presence.leave_all(self)  # at once: no held-back leave for lost rights
        if not is_active:
            self._background(self._end(close_codes.UNAUTHENTICATED, "unauthenticated", "This account was disabled."))
        elif is_staff != self.is_staff:
            if not is_staff and staff_only:
                self._background(self._end(close_codes.FORBIDDEN, "forbidden", "Staff rights were removed."))
            elif self.hub is not None:
                self.hub.discard(self)
                self.is_staff = is_staff
                self.hub.add(self)
                self._background(presence_handlers.recheck(self, self.hub.presence))

    def send_control(self, text: str, frame: bytes | None = None) -> None:
        """A frame outside the event stream (presence): written at once when possible, else by
        a task of its own; never waits on the client."""
        if self.closing or self._finished:
            return
        write = self._write_frame
        if write is not None and write(frame if frame is not None else messages.websocket_frame(text)):
            self._check_unsent()
            return
        self._background(self.send(text))

    def is_open(self) -> bool:
        return self.hub is not None and not self.closing

    def shut_down(self) -> None:
        """The server process is stopping: close with 1001 now, without waiting on the loop."""
        self.closing = True
        self._leave_hub()
        closer = fastpath.direct_closer(self.base_send)
        if closer is None or not closer(close_codes.GOING_AWAY):
            self._background(self.base_send({"type": "websocket.close", "code": self._sendable(close_codes.GOING_AWAY)}))

    def _background(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        if self._tasks is None:
            self._tasks = set()
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self.closing = True
        self._leave_hub()  # a closing socket gets no more events
        fastpath.allow_slow_close(self.base_send, close_codes.HANDSHAKE_SECONDS)
        if code in (close_codes.POLICY, close_codes.TOO_BIG):
            closer = fastpath.direct_closer(self.base_send)
            if closer is not None and closer(code):
                return
        await super().close(self._sendable(code) if type(code) is int else code, reason)

    @staticmethod
    def _sendable(code: int) -> int:
        """The code itself, or without the speed-ups its stand-in (``close_codes.sendable``)."""
        return code if speedups.enabled() else close_codes.sendable(code)

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
            await asyncio.wait_for(self._say_and_close(code, error, message), close_codes.HANDSHAKE_SECONDS)
        except TimeoutError:
            delivery_log.warning("close_timed_out", channel=self.channel, user=self.user_id, remote=self.remote, code=code)

    async def _say_and_close(self, code: int, error: str, message: str) -> None:
        await self.send(messages.control("error", code=error, message=message))
        await self.close(code)

    def _log(self, event: str, **fields: Any) -> None:
        observability.log_connection(
            event,
            channel=self.channel,
            user=self.user_id if self.user_id is not None else "anonymous",
            remote=self.remote,
            **fields,
        )
