"""A server process's presence (one per hub): its sockets' joins, updates, leaves and watches,
the frames they cause, and the background work that keeps the processes in agreement (their
announcements, a refresh of this process's entries, and the expiry of dead processes').

Every change is computed here, in the hub's event loop, without waiting on a client or Redis:
frames are encoded once per topic and written by each socket as it can, and writes to the store
go through one queue whose task sends what accumulated in one pipeline, in order."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Iterable

from realtime.conf import setting
from realtime.log import messages
from realtime.log.event_log import Delivery
from realtime.presence import members
from realtime.presence.members import State
from realtime.presence.store import Change, NoStore, TopicKey, make_store
from realtime.presence.topics import Join, PresenceSocket, Topic
from realtime.sockets.client_messages import InvalidMessage

logger = logging.getLogger(__name__)

MAX_TOPICS_PER_SOCKET = 50
SWEEP_SECONDS = 1.0  # how often expired entries of dead processes are looked for
STOP_SECONDS = 2.0  # the longest a stopping process spends telling Redis its entries end soon


class Presence:
    def __init__(self, store: NoStore | None = None, process: str | None = None) -> None:
        from realtime.delivery.stats import PROCESS

        self.store = store if store is not None else make_store()
        self.process = process or f"{PROCESS}:{uuid.uuid4().hex[:8]}"
        self.topics: dict[TopicKey, Topic] = {}
        self.joined_by: dict[PresenceSocket, set[TopicKey]] = {}
        self.watched_by: dict[PresenceSocket, set[TopicKey]] = {}
        self._writes: list[Change] = []
        self._write_wanted = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # --- lifecycle ------------------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> list[asyncio.Task[None]]:
        self._tasks = [
            loop.create_task(self._write_forever(), name="realtime-presence-write"),
            loop.create_task(self._listen_forever(), name="realtime-presence-listen"),
            loop.create_task(self._refresh_forever(), name="realtime-presence-refresh"),
            loop.create_task(self._sweep_forever(), name="realtime-presence-sweep"),
        ]
        return self._tasks

    async def stop(self) -> None:
        """Stop, leaving this process's entries to end a few seconds from now (a restart whose
        clients reconnect elsewhere meanwhile shows no leave), then close the store."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.end_soon()
        await self.store.close()

    async def end_soon(self) -> None:
        """Tell the other processes that this one's entries end ``PRESENCE_LINGER`` seconds from
        now (the process is stopping; its sockets may reconnect elsewhere meanwhile)."""
        until = time.time() + setting("PRESENCE_LINGER")
        changes = [change for topic in self.topics.values() for change in self._own_changes(topic, until)]
        try:
            await asyncio.wait_for(self.store.write(changes), STOP_SECONDS)
        except Exception:
            logger.debug("realtime presence could not shorten its entries at stop", exc_info=True)

    # --- what sockets do ------------------------------------------------------------------
    def can_join(self, sock: PresenceSocket, record_id: str) -> None:
        """Refuse (InvalidMessage) a join beyond the socket's topic limit."""
        joined = self.joined_by.get(sock, ())
        if (sock.channel, record_id) not in joined and len(joined) >= MAX_TOPICS_PER_SOCKET:
            raise InvalidMessage(f"At most {MAX_TOPICS_PER_SOCKET} presence topics per socket; leave one first.")

    async def join(self, sock: PresenceSocket, record_id: str, state: State) -> None:
        self.can_join(sock, record_id)  # again: other joins may have finished meanwhile
        topic = await self._topic((sock.channel, record_id))
        if not sock.is_open():  # closed while the topic was read
            if topic.idle:
                self.topics.pop(topic.key, None)
            return
        present = topic.joined.get(sock)
        if present is not None:
            present.state = state
        else:
            since = topic.earliest_since(str(sock.user_id))
            topic.joined[sock] = Join(state, since if since is not None else time.time())
        self.joined_by.setdefault(sock, set()).add(topic.key)
        self._changed(topic, newcomer=sock)

    def update(self, sock: PresenceSocket, record_id: str, state: State) -> None:
        topic = self.topics.get((sock.channel, record_id))
        present = topic.joined.get(sock) if topic is not None else None
        if topic is None or present is None:
            raise InvalidMessage(f"presence_update of record {record_id}, which this socket has not joined.")
        if present.state != state:
            present.state = state
            self._changed(topic)

    def leave(self, sock: PresenceSocket, record_id: str) -> None:
        """An explicit leave: immediate."""
        self._drop(sock, [(sock.channel, record_id)], tell=False)

    def socket_gone(self, sock: PresenceSocket) -> None:
        """A socket closed: its memberships linger for ``PRESENCE_LINGER`` seconds, so that a
        reload or reconnect that joins again shows no leave; its watches end."""
        loop = asyncio.get_running_loop()
        for key in self.joined_by.pop(sock, ()):
            topic = self.topics[key]
            join = topic.joined.pop(sock)
            handle = loop.call_later(setting("PRESENCE_LINGER"), self._linger_over, key, sock)
            topic.lingering[sock] = (join, handle)
        self._unwatch(sock, self.watched_by.pop(sock, set()))

    def leave_all(self, sock: PresenceSocket) -> None:
        """The socket's user lost their rights (or their account): every topic, at once."""
        self._drop(sock, [*self.joined_by.get(sock, ()), *self.watched_by.get(sock, ())], tell=True)

    async def watch(self, sock: PresenceSocket, record_ids: Iterable[str]) -> None:
        """Replace the socket's watched records: a state frame for each new one with members,
        then the diffs of them all. A watcher is not a member."""
        wanted = {(sock.channel, record_id) for record_id in record_ids}
        before = self.watched_by.get(sock, set())
        self._unwatch(sock, before - wanted)
        added = wanted - before
        await self._load([key for key in added if key not in self.topics])
        if not sock.is_open():
            added = set()
        for key in added:
            topic = self.topics.setdefault(key, Topic(key))
            topic.watchers.add(sock)
            if topic.shown:
                sock.send_control(members.state_frame(key[0], key[1], topic.shown))
        if wanted:
            self.watched_by[sock] = wanted
        else:
            self.watched_by.pop(sock, None)

    def topics_of(self, sock: PresenceSocket) -> list[TopicKey]:
        return [*self.joined_by.get(sock, ()), *self.watched_by.get(sock, ())]

    def drop(self, sock: PresenceSocket, keys: Iterable[TopicKey]) -> None:
        """Take the socket out of these topics (members and watchers) at once, telling it."""
        self._drop(sock, list(keys), tell=True)

    # --- what events show -----------------------------------------------------------------
    def saw(self, deliveries: Iterable[Delivery]) -> None:
        """Events of records with topics here: a socket whose user is no longer in a record's
        audience (its owner changed) leaves it."""
        if not self.topics:
            return
        for delivery in deliveries:
            if delivery.public or delivery.kind != "realtime_update":
                continue
            topic = self.topics.get((delivery.channel, delivery.record_id))
            if topic is None:
                continue
            for sock in [*topic.audience(), *topic.lingering]:
                if not (sock.is_staff and delivery.staff_visible) and sock.user_id not in delivery.audience:
                    self._drop(sock, [topic.key], tell=True)

    # --- the merge ------------------------------------------------------------------------
    def _changed(self, topic: Topic, newcomer: PresenceSocket | None = None) -> None:
        """Store what changed of this process's entries, and tell the topic's sockets what
        changed of its members (the newcomer gets the whole state instead)."""
        until = time.time() + setting("PRESENCE_TTL")
        own = topic.own_entries(until)
        for user_id, entry in own.items():
            seen = topic.written.get(user_id)
            if seen is None or (seen.state, seen.since, seen.name, seen.is_staff) != (
                entry.state,
                entry.since,
                entry.name,
                entry.is_staff,
            ):
                self._store(Change(self.process, topic.key, user_id, entry))
        for user_id in [u for u in topic.written if u not in own]:
            self._store(Change(self.process, topic.key, user_id, None))
        topic.written = own
        current = topic.members_now(until)
        joins, leaves = members.changes(topic.shown, current)
        topic.shown = current
        if joins or leaves:
            text = members.diff_frame(topic.key[0], topic.key[1], joins, leaves, len(current))
            frame = messages.websocket_frame(text)
            for sock in topic.audience():
                if sock is not newcomer:
                    sock.send_control(text, frame)
        if newcomer is not None:
            newcomer.send_control(members.state_frame(topic.key[0], topic.key[1], current))
        if topic.idle:
            del self.topics[topic.key]

    def _own_changes(self, topic: Topic, until: float) -> list[Change]:
        return [Change(self.process, topic.key, user_id, entry) for user_id, entry in topic.own_entries(until).items()]

    def _drop(self, sock: PresenceSocket, keys: list[TopicKey], *, tell: bool) -> None:
        for key in keys:
            topic = self.topics.get(key)
            if topic is None:
                continue
            shown = list(topic.shown)
            topic.joined.pop(sock, None)
            topic.watchers.discard(sock)
            lingering = topic.lingering.pop(sock, None)
            if lingering is not None:
                lingering[1].cancel()
            for index in (self.joined_by, self.watched_by):
                held = index.get(sock)
                if held is not None:
                    held.discard(key)
                    if not held:
                        del index[sock]
            if tell and shown:  # from where it stands now, everyone left
                sock.send_control(members.diff_frame(key[0], key[1], [], sorted(shown), 0))
            self._changed(topic)

    def _unwatch(self, sock: PresenceSocket, keys: Iterable[TopicKey]) -> None:
        for key in keys:
            topic = self.topics.get(key)
            if topic is not None:
                topic.watchers.discard(sock)
                if topic.idle:
                    del self.topics[key]

    def _linger_over(self, key: TopicKey, sock: PresenceSocket) -> None:
        topic = self.topics.get(key)
        if topic is not None and topic.lingering.pop(sock, None) is not None:
            self._changed(topic)

    async def _topic(self, key: TopicKey) -> Topic:
        topic = self.topics.get(key)
        if topic is None:
            await self._load([key])
            topic = self.topics.setdefault(key, Topic(key))
        await topic.loaded.wait()
        return topic

    async def _load(self, keys: list[TopicKey]) -> None:
        """Make these topics known here, with the other processes' entries read once."""
        fresh = [self.topics.setdefault(key, Topic(key)) for key in keys]
        if not fresh:
            return
        asked = time.monotonic()
        try:
            found = await self.store.load(keys) if self.store.shared else {}
        except Exception:
            logger.warning("realtime presence could not read %d topic(s) from Redis", len(keys), exc_info=True)
            found = {}
        for topic in fresh:
            if topic.key in found and topic.touched < asked:
                topic.replace_remote(found[topic.key], self.process)
            topic.loaded.set()

    # --- keeping the processes in agreement -----------------------------------------------
    def _store(self, change: Change) -> None:
        if self.store.shared:
            self._writes.append(change)
            self._write_wanted.set()

    async def _write_forever(self) -> None:
        while True:
            await self._write_wanted.wait()
            self._write_wanted.clear()
            batch, self._writes = self._writes, []
            try:
                await self.store.write(batch)
            except Exception:
                # The refresh writes every entry of this process again within PRESENCE_REFRESH.
                logger.warning("realtime presence could not store %d change(s)", len(batch), exc_info=True)

    async def _listen_forever(self) -> None:
        async for batch in self.store.changes():
            if batch is None:
                try:
                    await self._refresh()  # (re)subscribed: read what may have been missed
                except Exception:
                    logger.warning("realtime presence could not read its topics again", exc_info=True)
                continue
            touched: dict[TopicKey, Topic] = {}
            for change in batch:
                topic = self.topics.get(change.topic)
                if topic is not None and change.process != self.process:
                    topic.apply(change)
                    touched[topic.key] = topic
            for topic in touched.values():
                self._changed(topic)

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(setting("PRESENCE_REFRESH"))
            try:
                await self._refresh()
            except Exception:
                logger.warning("realtime presence could not refresh its entries", exc_info=True)

    async def _refresh(self) -> None:
        """Push this process's entries' deadline on, and read again every topic shown here."""
        if not self.store.shared:
            return
        until = time.time() + setting("PRESENCE_TTL")
        own = {key: changes for key, topic in self.topics.items() if (changes := self._own_changes(topic, until))}
        asked = time.monotonic()
        found = await self.store.refresh(own, list(self.topics))
        for key, remote in found.items():
            topic = self.topics.get(key)
            if topic is not None and topic.touched < asked:
                topic.replace_remote(remote, self.process)
                self._changed(topic)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            self.sweep()

    def sweep(self) -> None:
        """Entries of processes that stopped refreshing them: gone (each process that shows the
        topic notices, and deletes them from Redis)."""
        now = time.time()
        forgotten: list[tuple[TopicKey, str]] = []
        for topic in list(self.topics.values()):
            names = topic.expired(now)
            if names:
                for name in names:
                    del topic.remote[name]
                forgotten.extend((topic.key, name) for name in names)
                self._changed(topic)
        if forgotten:
            asyncio.ensure_future(self._forget(forgotten))
        update_gauges(self)

    async def _forget(self, fields: list[tuple[TopicKey, str]]) -> None:
        try:
            await self.store.forget(fields)
        except Exception:
            logger.debug("realtime presence could not delete expired entries", exc_info=True)

    def counts(self) -> dict[str, int]:
        """Topics with a member on this process, and the memberships this process holds."""
        held = [len(topic.written) for topic in self.topics.values() if topic.written]
        return {"topics": len(held), "members": sum(held)}


def update_gauges(presence: Presence) -> None:
    from realtime import observability

    counts = presence.counts()
    observability.PRESENCE_TOPICS.set(counts["topics"])
    observability.PRESENCE_MEMBERS.set(counts["members"])
