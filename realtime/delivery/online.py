"""Which users have an open socket on any server process, and since when a user has had none
(the push worker asks, so that it pushes only to users who are away).

Each process counts its own sockets per user (``opened``/``closed``, called where sockets
join and leave the hub) and, with ``STATS_REDIS_URL`` set, reports them to Redis as
``realtime.delivery.stats`` does: a set of user ids per process under a key that expires when
the process stops reporting, and per user the last moment a socket of theirs was seen open.
Without Redis the answers come from this process's own sockets.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable
from typing import cast

import redis

from realtime.conf import setting
from realtime.delivery import stats

logger = logging.getLogger(__name__)

SEEN_SECONDS = 86_400  # how long "last seen" is kept: a user away longer is simply away
CHANGE_CHECK_SECONDS = 0.1  # how soon a process reports a socket opened or closed


class LocalSockets:
    """This process's open sockets per user, and when each user's last one closed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[int] = Counter()
        self.closed_at: dict[int, float] = {}
        self.version = 0  # moves on every change, so that a reporter knows when to report

    def opened(self, user_id: int) -> None:
        with self._lock:
            self.counts[user_id] += 1
            self.version += 1

    def closed(self, user_id: int) -> None:
        with self._lock:
            self.counts[user_id] -= 1
            if self.counts[user_id] <= 0:
                del self.counts[user_id]
                self.closed_at[user_id] = time.time()
            self.version += 1

    def snapshot(self) -> tuple[int, list[int], dict[int, float]]:
        """The version, the users with an open socket, and the users whose last socket closed
        since the previous snapshot (with when); the latter are forgotten here (only the Redis
        reporter takes snapshots: without Redis, ``closed_at`` is what ``away_since`` reads)."""
        with self._lock:
            closed, self.closed_at = self.closed_at, {}
            return self.version, list(self.counts), {user: at for user, at in closed.items() if user not in self.counts}

    def away_since(self, user_ids: Iterable[int]) -> dict[int, float | None]:
        with self._lock:
            return {user: None if self.counts.get(user) else self.closed_at.get(user, 0.0) for user in user_ids}

    def keep(self, closed_since: dict[int, float]) -> None:
        """Closings a failed report did not write: kept for the next report."""
        with self._lock:
            for user, at in closed_since.items():
                self.closed_at.setdefault(user, at)


local = LocalSockets()


def opened(user_id: int | None) -> None:
    """A socket of ``user_id`` joined this process's hub."""
    if user_id is not None:
        local.opened(user_id)


def closed(user_id: int | None) -> None:
    """A socket of ``user_id`` left this process's hub."""
    if user_id is not None:
        local.closed(user_id)


def _key(kind: str, name: object) -> str:
    return f"{setting('ONLINE_KEY_PREFIX')}{kind}:{name}"


def report(client: redis.Redis, online: list[int], closed_since: dict[int, float]) -> None:
    """Write this process's users to Redis: its set (expiring unless reported again) and the
    last moment each of its users was seen with a socket."""
    now = time.time()
    key = _key("process", stats.PROCESS)
    pipe = client.pipeline(transaction=True)
    pipe.delete(key)
    if online:
        pipe.sadd(key, *online)
        pipe.expire(key, max(5, int(setting("STATS_INTERVAL") * 3)))
    for user in online:
        pipe.set(_key("seen", user), now, ex=SEEN_SECONDS)
    for user, at in closed_since.items():
        pipe.set(_key("seen", user), at, ex=SEEN_SECONDS)
    pipe.execute()


async def report_forever() -> None:
    """Report this process's users to Redis whenever a socket opens or closes (within
    ``CHANGE_CHECK_SECONDS``) and every ``STATS_INTERVAL`` seconds; nothing without Redis."""
    client = stats.client()
    if client is None:
        return
    reported, last = -1, 0.0
    while True:
        if local.version != reported or time.monotonic() - last >= setting("STATS_INTERVAL"):
            version, online, closed_since = local.snapshot()
            try:
                # A plain client in a worker thread: cancelling the hub never waits on Redis.
                await asyncio.to_thread(report, client, online, closed_since)
                reported, last = version, time.monotonic()
            except Exception:
                logger.debug("realtime could not report who is online", exc_info=True)
                local.keep(closed_since)
        await asyncio.sleep(CHANGE_CHECK_SECONDS)


def away_since(user_ids: Iterable[int]) -> dict[int, float | None]:
    """Per user: None while a socket of theirs is open on some server process, else the epoch
    seconds when they were last seen with one (0.0: not in the last day)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    client = stats.client()
    if client is None:
        return local.away_since(ids)
    try:
        online: set[int] = set()
        for key in client.scan_iter(match=_key("process", "*"), count=100):
            flags = cast(list[int], client.smismember(key, ids))  # the sync client: a list, not an Awaitable
            online.update(user for user, member in zip(ids, flags, strict=True) if member)
        seen = cast(list[bytes | None], client.mget([_key("seen", user) for user in ids]))
    finally:
        client.close()
    return {user: None if user in online else float(at) if at is not None else 0.0 for user, at in zip(ids, seen, strict=True)}
