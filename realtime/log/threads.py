"""Reads of the event log that one socket asks for (a replay, its stored notifications), run in
threads of their own.

Handshakes, the hubs' gap fills and revalidation share Channels' one sync thread; a replay of
thousands of events there held all of them up (a bystander's update took 99 ms instead of 10,
a fresh handshake 1.7 s). Here at most ``REPLAY_THREADS`` such reads run at once per server
process, whatever the number of sockets asking, and each returns its database connection when
it is done.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import connections

from realtime.conf import setting

T = TypeVar("T")


@functools.cache
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=setting("REPLAY_THREADS"), thread_name_prefix="realtime-log-read")


async def read(func: Callable[..., T], /, **kwargs: Any) -> T:
    """``func(**kwargs)`` in one of the log-read threads, awaited without blocking the loop."""
    return await sync_to_async(_closing_connections(func), thread_sensitive=False, executor=_executor())(**kwargs)


def _closing_connections(func: Callable[..., T]) -> Callable[..., T]:
    def run(**kwargs: Any) -> T:
        try:
            return func(**kwargs)
        finally:
            connections.close_all()  # back to the pool: a thread of this executor holds none between reads

    return run
