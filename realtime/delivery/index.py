"""What a hub knows of its sockets: the ``Subscriber`` protocol a socket implements, the index
that finds an event's recipients by channel, staff and user id (so that an event costs its
audience, not the number of sockets), and the ``Handover`` a committing thread waits on.

``ChannelIndex.recipients`` is the visibility rule of ``realtime.log.selectors.visible_to`` computed from
the index: public events go to every socket of the channel, events staff may see to its staff
sockets, and the others to the sockets of the users in their audience."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Protocol

from realtime.log.event_log import Delivery


class Subscriber(Protocol):
    channel: str
    user_id: int | None
    is_staff: bool
    remote: str

    def push_now(self, deliveries: list[Delivery]) -> bool: ...

    def push(self, deliveries: list[Delivery]) -> None: ...  # queues: never waits on the client

    def relay(self, text: str, frame: bytes, record_id: str) -> None: ...  # ephemeral: sent now or dropped

    async def revalidate(self, *, is_active: bool, is_staff: bool) -> None: ...

    def shut_down(self) -> None: ...


class ChannelIndex:
    def __init__(self) -> None:
        self.everyone: set[Subscriber] = set()
        self.staff: set[Subscriber] = set()
        self.by_user: defaultdict[int, set[Subscriber]] = defaultdict(set)

    def add(self, sub: Subscriber) -> None:
        self.everyone.add(sub)
        if sub.is_staff:
            self.staff.add(sub)
        if sub.user_id is not None:
            self.by_user[sub.user_id].add(sub)

    def discard(self, sub: Subscriber) -> None:
        self.everyone.discard(sub)
        self.staff.discard(sub)
        if sub.user_id is not None:
            users = self.by_user.get(sub.user_id)
            if users is not None:
                users.discard(sub)
                if not users:
                    del self.by_user[sub.user_id]

    def recipients(self, delivery: Delivery) -> list[Subscriber]:
        if delivery.public:
            return list(self.everyone)
        found: list[Subscriber] = list(self.staff) if delivery.staff_visible else []
        for user_id in delivery.audience:
            for sub in self.by_user.get(user_id, ()):
                if not (delivery.staff_visible and sub.is_staff):
                    found.append(sub)
        return found


class Handover:
    """What ``Hub.deliver_local`` did with a batch: whether a hub publishes it to the layer,
    and the fan-outs to wait for."""

    __slots__ = ("publishing", "_fanned_out")

    def __init__(self) -> None:
        self.publishing = False
        self._fanned_out: list[threading.Event] = []

    def wait(self, timeout: float) -> None:
        """Until every hub it went to has sent it to its sockets, or ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        for done in self._fanned_out:
            if not done.wait(max(0.0, deadline - time.monotonic())):
                return
