"""The bodies of a long-poll and of a stream, produced on the event loop while they wait: no
thread is held by a waiting request, and the log is read in the log-read threads
(``realtime.log.threads``), a page at a time."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Callable

from realtime.conf import setting
from realtime.delivery.hub import Hub
from realtime.feed import keys
from realtime.feed.access import Reader
from realtime.feed.params import DEFAULT_LIMIT, FeedQuery
from realtime.feed.reading import Page, Resync, feed_page
from realtime.feed.waiting import FeedWaiter
from realtime.log import threads as log_reads
from realtime.speedups import daphne as fastpath

STREAM_PAGE = DEFAULT_LIMIT  # events read, and written, at a time by a stream
HEARTBEAT = b"\n"
DRAIN_CHECK_SECONDS = 0.05  # how often a stream held back by a slow reader looks whether it caught up


async def _read(reader: Reader, query: FeedQuery, after: int, limit: int) -> Page | Resync:
    return await log_reads.read(
        feed_page, after=after, channels=query.channels, user_id=reader.user_id, is_staff=reader.is_staff, limit=limit
    )


async def _hub() -> Hub:
    """The process's hub, started in a context of its own when this request is the first to need
    it: tasks inherit their creator's context, and the hub's would otherwise run their database
    work in this request's thread (asgiref's ``ThreadSensitiveContext``), which ends with it."""
    return await asyncio.get_running_loop().create_task(Hub.running(), context=contextvars.Context())


async def _waiter(reader: Reader, query: FeedQuery, remote: str) -> FeedWaiter:
    hub = await _hub()
    channels = query.channels if query.channels is not None else keys.known_channels()
    return FeedWaiter(hub, sorted(channels), user_id=reader.user_id, is_staff=reader.is_staff, remote=remote)


async def _drained(unsent: Callable[[], int | None], bound: int) -> bool:
    """Until the server holds at most ``bound`` bytes unsent for the connection; False if it closed."""
    while (held := unsent()) is not None and held > bound:
        await asyncio.sleep(DRAIN_CHECK_SECONDS)
    return held is not None


async def long_poll(reader: Reader, query: FeedQuery, remote: str) -> AsyncIterator[bytes]:
    """One page, as soon as there is an event after the cursor, or the empty page after ``wait``
    seconds. The log is read again once the listeners are in place: an event committed between
    the view's read and then is not missed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + query.wait
    async with await _waiter(reader, query, remote) as waiter:
        while True:
            waiter.clear()
            page = await _read(reader, query, query.after, query.limit)
            remaining = deadline - loop.time()
            if isinstance(page, Resync) or page.texts or page.has_more or remaining <= 0 or waiter.ended:
                yield page.json()
                return
            if not await waiter.wait(remaining):
                deadline = loop.time()  # one last read, then the (probably empty) page


async def stream(reader: Reader, query: FeedQuery, remote: str) -> AsyncIterator[bytes]:
    """Every event after the cursor, one message a line, then each new one as it is fanned out;
    an empty line after ``FEED_HEARTBEAT`` seconds without one. A cursor the log no longer serves
    gets a ``resync_required`` line, and the stream ends.

    The cursor, not a queue, says where the stream is: a page (``STREAM_PAGE`` events) is read
    only once the server holds less than ``MAX_SEND_BUFFER`` bytes unsent for this connection,
    so a reader that falls behind costs at most that much memory, and resumes where it was.
    (uvicorn's ``send`` waits for its buffer to drain by itself; daphne's is measured.)"""
    loop = asyncio.get_running_loop()
    heartbeat, unsent, bound = setting("FEED_HEARTBEAT"), fastpath.response_unsent_meter(), setting("MAX_SEND_BUFFER")
    cursor, written = query.after, loop.time()
    async with await _waiter(reader, query, remote) as waiter:
        while not waiter.ended:
            waiter.clear()
            page = await _read(reader, query, cursor, STREAM_PAGE)
            if isinstance(page, Resync):
                yield page.json() + b"\n"
                return
            if page.texts:
                yield page.lines()
                written = loop.time()
                if unsent is not None and not await _drained(unsent, bound):
                    return  # the client went away
            cursor = page.last_event_id
            if page.has_more:
                continue
            if not await waiter.wait(written + heartbeat - loop.time()) and not waiter.ended:
                if loop.time() - written >= heartbeat:
                    yield HEARTBEAT
                    written = loop.time()
