"""Waking a feed request when its hub fans out an event it may read, instead of polling the
database: one listener per channel in the hub's index, which applies the sockets' visibility
rule, so a reader wakes only for events of its channels that it may see.

Listeners join the channel indexes directly, not through ``Hub.add``: a feed request is not a
socket, and must not use up the per-user and per-address socket limits."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from types import TracebackType

from realtime.delivery.hub import Hub
from realtime.log.event_log import Delivery


class _Listener:
    """A hub ``Subscriber`` on one channel that only wakes its waiter."""

    __slots__ = ("channel", "user_id", "is_staff", "remote", "waiter")

    def __init__(self, waiter: FeedWaiter, channel: str, user_id: int | None, is_staff: bool, remote: str) -> None:
        self.waiter, self.channel, self.user_id, self.is_staff, self.remote = waiter, channel, user_id, is_staff, remote

    def push_now(self, deliveries: list[Delivery]) -> bool:
        self.waiter.woken.set()
        return True

    def push(self, deliveries: list[Delivery]) -> None:
        self.waiter.woken.set()

    def relay(self, text: str, frame: bytes, record_id: str) -> None:
        pass  # ephemeral client messages (typing) are for sockets: the feed carries the log only

    async def revalidate(self, *, is_active: bool, is_staff: bool) -> None:
        self.waiter.end()  # the account was disabled or lost its staff rights: answer no more

    def shut_down(self) -> None:
        self.waiter.end()  # the server is stopping


class FeedWaiter:
    """``async with FeedWaiter(hub, channels, ...) as waiter``: ``await waiter.wait(seconds)``
    returns True once an event for the reader was fanned out since the last ``clear()``."""

    def __init__(self, hub: Hub, channels: Iterable[str], *, user_id: int | None, is_staff: bool, remote: str) -> None:
        self.hub = hub
        self.woken = asyncio.Event()
        self.ended = False
        self._listeners = [_Listener(self, channel, user_id, is_staff, remote) for channel in channels]

    async def __aenter__(self) -> FeedWaiter:
        for listener in self._listeners:
            self.hub.channels[listener.channel].add(listener)
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        for listener in self._listeners:
            index = self.hub.channels.get(listener.channel)
            if index is not None:
                index.discard(listener)

    def clear(self) -> None:
        self.woken.clear()

    def end(self) -> None:
        self.ended = True
        self.woken.set()

    async def wait(self, seconds: float) -> bool:
        """Whether an event came (or the wait was ended) within ``seconds``."""
        try:
            await asyncio.wait_for(self.woken.wait(), max(0.0, seconds))
        except TimeoutError:
            return False
        return True
