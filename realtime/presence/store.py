"""Where presence entries live between processes: a Redis hash per topic (one field per process
and user) whose fields carry their own deadline, refreshed by their process; and one pub/sub
channel on which processes announce their changes. Without Redis, ``NoStore``: one process.

A join costs a constant few operations whatever the topic's size: HSET, PEXPIRE and PUBLISH in
one pipeline, and an HGETALL when the topic is new to the process."""

from __future__ import annotations

import functools

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import orjson
import redis
import redis.asyncio as aioredis

from realtime.conf import setting
from realtime.presence.members import Entry

logger = logging.getLogger(__name__)

TopicKey = tuple[str, str]  # (channel, record id)
Remote = dict[str, Entry]  # field ("<process>|<user id>") -> entry


@dataclass(frozen=True, slots=True)
class Change:
    """One user's entry on a topic, from one process, set (``entry``) or gone (None)."""

    process: str
    topic: TopicKey
    user_id: str
    entry: Entry | None

    @property
    def field(self) -> str:
        return field_name(self.process, self.user_id)


def field_name(process: str, user_id: str) -> str:
    return f"{process}|{user_id}"


def process_of(field: str) -> str:
    return field.rpartition("|")[0]


def topic_key(topic: TopicKey) -> str:
    return f"{setting('PRESENCE_KEY_PREFIX')}topic:{topic[0]}:{topic[1]}"


def changes_channel() -> str:
    return f"{setting('PRESENCE_KEY_PREFIX')}changes"


def ttl() -> float:
    return float(setting("PRESENCE_TTL"))


def decode(raw: dict[bytes, bytes]) -> Remote:
    entries = {}
    for name, value in raw.items():
        entry = Entry.from_json(value)
        if entry is not None:
            entries[name.decode()] = entry
    return entries


class NoStore:
    """One process only: nothing is shared, nothing arrives from elsewhere."""

    shared = False

    async def load(self, topics: Iterable[TopicKey]) -> dict[TopicKey, Remote]:
        return {}

    async def write(self, changes: list[Change]) -> None:
        return None

    async def refresh(self, own: dict[TopicKey, list[Change]], interested: list[TopicKey]) -> dict[TopicKey, Remote]:
        return {}

    async def forget(self, fields: list[tuple[TopicKey, str]]) -> None:
        return None

    async def changes(self) -> AsyncIterator[list[Change] | None]:
        await asyncio.Event().wait()  # never: nothing comes from other processes
        yield None

    async def close(self) -> None:
        return None


class RedisStore(NoStore):
    shared = True

    def __init__(self, url: str) -> None:
        self.client = aioredis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)

    async def load(self, topics: Iterable[TopicKey]) -> dict[TopicKey, Remote]:
        topics = list(topics)
        async with self.client.pipeline(transaction=False) as pipe:
            for topic in topics:
                pipe.hgetall(topic_key(topic))
            found = await pipe.execute()
        return {topic: decode(raw) for topic, raw in zip(topics, found, strict=True)}

    async def write(self, changes: list[Change]) -> None:
        """Store and announce changes, in order, in one round trip (one PUBLISH for them all)."""
        if not changes:
            return
        expire_ms = int(ttl() * 1000)
        async with self.client.pipeline(transaction=False) as pipe:
            touched = set()
            for change in changes:
                key = topic_key(change.topic)
                if change.entry is None:
                    pipe.hdel(key, change.field)
                else:
                    pipe.hset(key, change.field, change.entry.to_json())  # type: ignore[arg-type]  # bytes are fine
                    touched.add(key)
            for key in touched:
                pipe.pexpire(key, expire_ms)
            pipe.publish(changes_channel(), encode_changes(changes))
            await pipe.execute()

    async def refresh(self, own: dict[TopicKey, list[Change]], interested: list[TopicKey]) -> dict[TopicKey, Remote]:
        """Rewrite this process's entries with a later deadline and read the topics it shows."""
        expire_ms = int(ttl() * 1000)
        async with self.client.pipeline(transaction=False) as pipe:
            for topic, changes in own.items():
                key = topic_key(topic)
                pipe.hset(key, mapping={c.field: c.entry.to_json() for c in changes if c.entry is not None})
                pipe.pexpire(key, expire_ms)
            for topic in interested:
                pipe.hgetall(topic_key(topic))
            found = await pipe.execute()
        return {topic: decode(raw) for topic, raw in zip(interested, found[2 * len(own) :], strict=True)}

    async def forget(self, fields: list[tuple[TopicKey, str]]) -> None:
        """Delete expired entries of dead processes (each process that notices may)."""
        if fields:
            async with self.client.pipeline(transaction=False) as pipe:
                for topic, name in fields:
                    pipe.hdel(topic_key(topic), name)
                await pipe.execute()

    async def changes(self) -> AsyncIterator[list[Change] | None]:
        """Every batch of changes announced, for ever; None after a (re)subscription, when what
        was announced meanwhile may be lost and the topics must be read again."""
        delay = 0.2
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(changes_channel())
                yield None
                delay = 0.2
                while True:
                    message = await pubsub.get_message(timeout=30.0)
                    if message is not None and message.get("type") == "message":
                        yield decode_changes(message["data"])
            except (redis.RedisError, OSError):
                logger.warning("realtime presence lost its Redis subscription; retrying in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        await self.client.aclose()


def encode_changes(changes: list[Change]) -> bytes:
    return orjson.dumps(
        [[c.process, c.topic[0], c.topic[1], c.user_id, None if c.entry is None else c.entry.to_json().decode()] for c in changes]
    )


def decode_changes(raw: bytes) -> list[Change]:
    found = []
    try:
        rows = orjson.loads(raw)
        for process, channel, record_id, user_id, entry in rows:
            found.append(Change(process, (channel, record_id), user_id, None if entry is None else Entry.from_json(entry)))
    except (orjson.JSONDecodeError, TypeError, ValueError):
        logger.warning("realtime presence ignored a malformed change announcement")
    return found


def make_store() -> NoStore:
    url = setting("PRESENCE_REDIS_URL")
    return RedisStore(url) if url else NoStore()


def entries_now(topic: TopicKey) -> Remote | None:
    """The topic's entries in Redis, from sync code (None without Redis)."""
    url = setting("PRESENCE_REDIS_URL")
    if not url:
        return None
    found: dict[bytes, bytes] = _sync_client(url).hgetall(topic_key(topic))  # type: ignore[assignment]  # sync client
    return decode(found)


@functools.cache
def _sync_client(url: str) -> redis.Redis:
    """One client per URL for the process's sync reads: its pool keeps the connections open
    (a connection per read cost a chat post ~3.6 ms of CPU), and it is thread-safe."""
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
