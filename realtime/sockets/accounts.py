"""Who may hold a socket: each connected user's ``(is_active, is_staff)``, cached per process.

A socket authenticated by a token needs only these two flags, not a user row, and a browser
opens a socket per channel, so the database is asked once per user rather than once per socket.
An entry lives for ``REVALIDATE_INTERVAL`` seconds, the same delay within which the hub closes
or narrows sockets whose user changed; the hub's revalidation refreshes the entries of every
connected user, and a save or delete of a user in this process drops its entry at once.
Sockets of one user that open together (a page with several channels, a reconnect after a
restart) share one query: the first asks, the others wait for its answer.
"""

from __future__ import annotations

import asyncio
import time

from channels.db import database_sync_to_async

from realtime.log import selectors
from realtime.conf import setting

Status = tuple[bool, bool]  # (is_active, is_staff)

_entries: dict[int, tuple[float, Status]] = {}
_loading: dict[tuple[int, int], asyncio.Future[Status | None]] = {}  # (id of the loop, user id)


async def status(user_id: int) -> Status | None:
    """The user's flags, from the cache when fresh, else from the database; None: no such user."""
    entry = _entries.get(user_id)
    if entry is not None and entry[0] > time.monotonic():
        return entry[1]
    key = (id(asyncio.get_running_loop()), user_id)
    loading = _loading.get(key)
    if loading is None:
        loading = _loading[key] = asyncio.ensure_future(_load(user_id))
        loading.add_done_callback(lambda _: _loading.pop(key, None))
    # shield: a socket that goes away while waiting must not cancel the others' answer.
    return await asyncio.shield(loading)


async def _load(user_id: int) -> Status | None:
    found = await database_sync_to_async(selectors.account_status)({user_id})
    remember({user_id}, found)
    return found.get(user_id)


def remember(user_ids: set[int], found: dict[int, Status]) -> None:
    """Store what a query of ``user_ids`` found (ids it did not find are users that are gone)."""
    expires = time.monotonic() + setting("REVALIDATE_INTERVAL")
    for user_id in user_ids:
        if user_id in found:
            _entries[user_id] = (expires, found[user_id])
        else:
            _entries.pop(user_id, None)


def forget(user_id: int) -> None:
    _entries.pop(user_id, None)


def forget_changed_user(sender: type, instance: object, **kwargs: object) -> None:
    """Receiver for the user model's ``post_save`` and ``post_delete``."""
    forget(instance.pk)  # type: ignore[attr-defined]


def drop_expired() -> None:
    """Called by each hub's revalidation pass, so users who left do not stay cached."""
    now = time.monotonic()
    for user_id in [user_id for user_id, (expires, _) in _entries.items() if expires <= now]:
        _entries.pop(user_id, None)
