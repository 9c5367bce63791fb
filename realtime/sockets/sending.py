"""How events reach one socket: written at once when possible (``push_now``), else queued for
the socket's own sender task (``push``), so that the hub never waits on a client. A socket
that holds more than ``MAX_SEND_BUFFER`` bytes unsent (what is queued here plus what daphne's
Twisted holds beyond the kernel) has stopped reading: it is closed with 4008."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING

from channels.db import database_sync_to_async

from realtime import observability
from realtime.conf import setting
from realtime.sockets import close_codes
from realtime.log import services
from realtime.log.event_log import Delivery
from realtime.observability import delivery_log, security_log

NOTIFICATION = "notification"

if TYPE_CHECKING:
    from realtime.sockets.socket_state import SocketState
else:
    SocketState = object


class Sending(SocketState):
    """The sending half of ``ChannelConsumer``."""

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

    def relay(self, text: str, frame: bytes, record_id: str) -> None:
        """An ephemeral message (``realtime.sockets.relay``) about record ``record_id``: written now
        if the socket is idle and not narrowed to other records; otherwise dropped, never queued."""
        if self.closing or self._buffer is not None or self._queue:
            return
        if self.record_filter is not None and record_id not in self.record_filter:
            return
        write = self._write_frame
        if write is not None:
            write(frame)  # what cannot be written at once is dropped: it is only a hint
        else:
            self._background(self.send(text))

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
        self._background(
            self._end(
                close_codes.SLOW_CONSUMER,
                "slow_consumer",
                "Too much unsent data: this socket stopped reading. Reconnect with last_event_id.",
            )
        )

    def _release_buffer(self) -> None:
        held, self._buffer = self._buffer or [], None
        if held:
            self._queued_bytes -= sum(len(delivery.frame) for delivery in held)  # counted again as queued
            self.push(held)
