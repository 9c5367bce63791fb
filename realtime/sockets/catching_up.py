"""Catching a socket up before its live events flow: the user's stored notifications and the
replay of what it missed (``?last_event_id`` or ``resume``), read in pages in the log-read
threads. Live events are held back meanwhile, and client messages that arrive are answered
after it, in order, so that every socket receives its events in increasing ``event_id`` order.
A ``resume`` that could only deliver older events after newer ones gets ``resync_required``."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from realtime import observability
from realtime.conf import setting
from realtime.log import messages, selectors
from realtime.log import threads as log_reads

if TYPE_CHECKING:
    from realtime.sockets.socket_state import SocketState
else:
    SocketState = object


class CatchingUp(SocketState):
    """The catching-up part of ``ChannelConsumer``."""

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
                selectors.replay_page,
                **self._visibility(),
                after=after,
                upto=start,
                limit=1,
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
        hub = self.hub
        if self._take_token(cost) and hub is not None and hub.limits.take_replay_budget(self.user_id, self.remote, cost):
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
