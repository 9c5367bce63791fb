"""What one server process knows of one topic (a channel's record): its own sockets joined to
it (and those closed within the last few seconds, whose leave is held back), the sockets
watching it, the other processes' entries, and the members its sockets were last shown."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Protocol

from realtime.presence import members
from realtime.presence.members import Entry, State
from realtime.presence.store import Change, Remote, TopicKey, process_of


class PresenceSocket(Protocol):
    """What presence needs of a socket (``ChannelConsumer`` is one)."""

    channel: str
    user_id: int | None
    is_staff: bool
    display_name: str

    def send_control(self, text: str, frame: bytes | None = None) -> None: ...  # never waits on the client

    def is_open(self) -> bool: ...


@dataclass(slots=True)
class Join:
    state: State
    since: float  # epoch seconds


class Topic:
    __slots__ = ("key", "joined", "lingering", "watchers", "remote", "shown", "written", "touched", "loaded")

    def __init__(self, key: TopicKey) -> None:
        self.key = key
        self.joined: dict[PresenceSocket, Join] = {}
        # Closed sockets still counted for a few seconds: a reload that rejoins shows no leave.
        self.lingering: dict[PresenceSocket, tuple[Join, asyncio.TimerHandle]] = {}
        self.watchers: set[PresenceSocket] = set()
        self.remote: Remote = {}  # the other processes' entries
        self.shown: dict[str, Entry] = {}  # the members this process's sockets were last told of
        self.written: dict[str, Entry] = {}  # this process's entries as last stored
        self.touched = 0.0  # monotonic time of the last announcement about it
        self.loaded = asyncio.Event()  # the other processes' entries were read once

    @property
    def idle(self) -> bool:
        return not self.joined and not self.lingering and not self.watchers

    def own_entries(self, until: float) -> dict[str, Entry]:
        """This process's entry per user: their sockets here merged."""
        found = [
            Entry(str(sock.user_id), sock.display_name, sock.is_staff, join.state, join.since, until)
            for sock, join in [*self.joined.items(), *((s, j) for s, (j, _) in self.lingering.items())]
        ]
        return members.merge(found)

    def members_now(self, until: float) -> dict[str, Entry]:
        now = time.time()
        alive = [entry for entry in self.remote.values() if entry.until > now]
        return members.merge([*self.own_entries(until).values(), *alive])

    def earliest_since(self, user_id: str) -> float | None:
        """When the user first arrived, if they are a member already (here or elsewhere)."""
        seen = self.shown.get(user_id)
        return seen.since if seen is not None else None

    def apply(self, change: Change) -> None:
        if change.entry is None:
            self.remote.pop(change.field, None)
        else:
            self.remote[change.field] = change.entry
        self.touched = time.monotonic()

    def replace_remote(self, found: Remote, process: str) -> None:
        self.remote = {name: entry for name, entry in found.items() if process_of(name) != process}

    def expired(self, now: float) -> list[str]:
        return [name for name, entry in self.remote.items() if entry.until <= now]

    def audience(self) -> set[PresenceSocket]:
        return {*self.joined, *self.watchers}
