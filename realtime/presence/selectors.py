"""Reads of presence for sync code (a service after commit, a view)."""

from __future__ import annotations

import time

from realtime.presence.store import entries_now


def present_user_ids(channel: str, record_id: str) -> set[str]:
    """The ids (strings) of the users with a socket joined to the record's topic on any server
    process right now. Without Redis: those of this process's own sockets."""
    key = (channel, str(record_id))
    found = entries_now(key)
    if found is not None:
        now = time.time()
        return {entry.user_id for entry in found.values() if entry.until > now}
    from realtime.delivery.hub import Hub

    with Hub._registry_lock:
        hubs = list(Hub._by_loop.values())
    present: set[str] = set()
    for hub in hubs:
        topic = hub.presence.topics.get(key)
        if topic is not None:
            present |= set(topic.written)
    return present
