"""What the server does with each client message: checked and charged to the socket's budget as
it arrives, then handled by the entry of ``HANDLERS`` for its type (``ack`` and ``mark_read``
only on a signed-in user's notification channel)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from channels.db import database_sync_to_async

from realtime import observability
from realtime.conf import setting
from realtime.sockets import close_codes, relay
from realtime.delivery.buckets import refill
from realtime.log import messages, services
from realtime.observability import security_log
from realtime.presence import handlers as presence
from realtime.sockets.client_messages import InvalidMessage, notification_ids, parse, record_ids, sorted_ids
from realtime.sockets.client_messages import event_id as resume_event_id

if TYPE_CHECKING:
    from realtime.declaring.registry import Publication

MAX_SUBSCRIBED_IDS = 1000

if TYPE_CHECKING:
    from realtime.sockets.socket_state import SocketState
else:
    SocketState = object


class ClientProtocol(SocketState):
    """The client-message part of ``ChannelConsumer``."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing:
            return  # frames already in flight after we closed: nothing more to say
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > setting("MAX_MESSAGE_BYTES"):
            security_log.warning("frame_too_big", channel=self.channel, user=self.user_id, remote=self.remote, size=size)
            await self.close(close_codes.TOO_BIG)
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
        self._background(self._end(close_codes.POLICY, "rate_limited", "Too many messages; slow down."))

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        handler = HANDLERS.get(kind)
        if handler is None or (kind in NOTIFICATION_CHANNEL_ONLY and not self._on_own_notifications()):
            expected = [name for name in HANDLERS if self._may_send(name)]
            raise InvalidMessage(
                f"Unknown message type {kind!r} on {self.channel}; expected {', '.join(expected[:-1])} or {expected[-1]}."
            )
        await handler(self, message)

    def _may_send(self, kind: str) -> bool:
        if kind in NOTIFICATION_CHANNEL_ONLY:
            return self._on_own_notifications()
        if HANDLERS[kind] is relay.relay_message:
            own = self.publication.relay if self.publication is not None else None
            return own is not None and own.message_type == kind
        return True

    def _on_own_notifications(self) -> bool:
        return self.user_id is not None and self.channel == setting("NOTIFICATION_CHANNEL")

    async def _on_ping(self, message: dict[str, Any]) -> None:
        await self.send(messages.control("pong"))

    async def _on_subscribe(self, message: dict[str, Any]) -> None:
        self._narrow(message["type"], record_ids(message))
        await self.send(messages.control("subscriptions", ids=sorted_ids(self.record_filter) if self.record_filter else None))

    async def _on_resume(self, message: dict[str, Any]) -> None:
        after = resume_event_id(message)
        if not self._charge_replay(after, self.replayed_from):
            return
        if asyncio.current_task() is self._catching_up:
            await self._resume(after)  # one that arrived during a replay: its turn now
        else:
            self._catch_up(self._resume(after))

    async def _on_mark_read(self, message: dict[str, Any]) -> None:
        marked = await database_sync_to_async(services.notifications_mark_read)(
            user_id=self._own_user_id(), ids=notification_ids(message)
        )
        await self.send(messages.control("marked_read", ids=marked))

    async def _on_ack(self, message: dict[str, Any]) -> None:
        await database_sync_to_async(services.notifications_acknowledge)(
            user_id=self._own_user_id(), ids=notification_ids(message)
        )

    def _own_user_id(self) -> int:
        # ack and mark_read are handled only on the signed-in user's own notification channel (``_handle``).
        return cast(int, self.user_id)

    def _narrow(self, kind: str, ids: set[str]) -> None:
        if kind == "subscribe":
            wanted = (self.record_filter or set()) | ids
            if len(wanted) > MAX_SUBSCRIBED_IDS:
                raise InvalidMessage(f"At most {MAX_SUBSCRIBED_IDS} records per socket; unsubscribe some first.")
            self.record_filter = wanted
        elif self.record_filter is not None:
            remaining = (self.record_filter - ids) if ids else None
            self.record_filter = remaining or None  # no record left: back to the whole channel


# The client messages, by type (docs/protocol.md, "Client messages").
HANDLERS: dict[str, Callable[[Any, dict[str, Any]], Awaitable[None]]] = {
    "ping": ClientProtocol._on_ping,
    "subscribe": ClientProtocol._on_subscribe,
    "unsubscribe": ClientProtocol._on_subscribe,
    "resume": ClientProtocol._on_resume,
    "ack": ClientProtocol._on_ack,
    "mark_read": ClientProtocol._on_mark_read,
    "presence_join": presence.on_join,
    "presence_update": presence.on_update,
    "presence_leave": presence.on_leave,
    "presence_watch": presence.on_watch,
}
NOTIFICATION_CHANNEL_ONLY = frozenset({"ack", "mark_read"})


def register_relays(publications: Iterable[Publication]) -> None:
    """Each relay type of the publications table (``Publication.relay``) is a client message too:
    ``realtime.sockets.relay`` checks it belongs to the socket's channel."""
    for publication in publications:
        if publication.relay is not None:
            kind = publication.relay.message_type
            if HANDLERS.get(kind, relay.relay_message) is not relay.relay_message:
                raise ValueError(f"The relay type {kind!r} of {publication.channel!r} is a client message already.")
            HANDLERS[kind] = relay.relay_message
