"""Client processes: each holds a share of the sockets on its own asyncio loop (``websockets``)
and timestamps every change it receives.

The parent drives each one through a pipe: ``connect`` → it opens its sockets and answers
``ready``; ``finish`` → it waits until every socket has what it expects (or the deadline) and
answers ``result``. A change is recognised by the run's marker followed by the change index in
the pet's name; receive times are ``time.monotonic_ns()``, one clock for every process of the
machine, so the parent subtracts its own send times from them.
"""

from __future__ import annotations

import asyncio
import re
import resource
import time
from array import array
from dataclasses import dataclass
from multiprocessing.connection import Connection


@dataclass
class ClientJob:
    index: int
    urls: list[str]
    expected: list[int]
    changes: int
    marker: str
    ready_marker: str | None
    connect_concurrency: int
    open_timeout: float
    compression: str | None  # "deflate" offers permessage-deflate as browsers do; None offers nothing
    groups: list[int] | None = None  # socket i may see change j only when j % modulus == groups[i]
    modulus: int = 0
    sources: list[str] | None = None  # per socket: the loopback address it connects from


def raise_nofile_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else 1 << 20
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def run_client(job: ClientJob, conn: Connection) -> None:
    """Entry point of a client process."""
    raise_nofile_limit()
    try:
        asyncio.run(_Client(job, conn).main())
    except KeyboardInterrupt:
        pass
    finally:
        conn.close()


class _Client:
    def __init__(self, job: ClientJob, conn: Connection) -> None:
        self.job = job
        self.conn = conn
        self.pattern = re.compile(re.escape(job.marker) + r"(\d+)")
        self.counts = [0] * len(job.urls)
        self.seen: set[int] = set()
        self.indexes = array("q")
        self.times = array("q")
        self.duplicates = 0
        self.unexpected = 0
        self.closed_early = 0
        self.remaining = sum(1 for n in job.expected if n > 0)
        self.complete = asyncio.Event()
        if self.remaining == 0:
            self.complete.set()
        self.sockets: list = []
        self.errors: list[str] = []
        self.finishing = False

    async def _command(self) -> tuple:
        return await asyncio.get_running_loop().run_in_executor(None, self.conn.recv)

    async def main(self) -> None:
        self.conn.send(("spawned", self.job.index))
        command = await self._command()
        if command[0] != "connect":
            return
        connected, first_start, last_up = await self._connect_all()
        self.conn.send(("ready", connected, len(self.job.urls) - connected, first_start, last_up, self.errors[:5]))
        command = await self._command()
        if command[0] != "finish":
            return
        deadline = command[1]
        self.finishing = True
        try:
            await asyncio.wait_for(self.complete.wait(), timeout=max(deadline - time.monotonic(), 0.0))
        except TimeoutError:
            pass
        self.conn.send(
            (
                "result",
                self.indexes.tobytes(),
                self.times.tobytes(),
                self.duplicates,
                self.unexpected,
                self.closed_early,
                sum(min(c, e) for c, e in zip(self.counts, self.job.expected, strict=False)),
            )
        )
        for ws in self.sockets:  # the process exits next; no closing handshake needed
            ws.transport.abort()

    async def _connect_all(self) -> tuple[int, int, int]:
        from websockets.asyncio.client import connect

        job = self.job
        semaphore = asyncio.Semaphore(job.connect_concurrency)
        first_start = time.monotonic_ns()
        up_times: list[int] = []

        async def open_one(i: int, url: str) -> None:
            async with semaphore:
                try:
                    ws = await connect(
                        url,
                        compression=job.compression,
                        open_timeout=job.open_timeout,
                        ping_interval=None,
                        close_timeout=1,
                        max_size=None,
                        max_queue=None,
                        **({"local_addr": (job.sources[i], 0)} if job.sources else {}),
                    )
                except Exception as error:  # noqa: BLE001 - counted and reported
                    self.errors.append(f"{type(error).__name__}: {error}")
                    self._gave_up(i)
                    return
                if job.ready_marker is not None:
                    try:
                        first = await asyncio.wait_for(ws.recv(), job.open_timeout)
                    except Exception as error:  # noqa: BLE001
                        self.errors.append(f"no first frame: {type(error).__name__}: {error}")
                        ws.transport.abort()
                        self._gave_up(i)
                        return
                    if job.ready_marker not in first:
                        self.errors.append(f"unexpected first frame: {str(first)[:200]}")
                        ws.transport.abort()
                        self._gave_up(i)
                        return
                up_times.append(time.monotonic_ns())
                self.sockets.append(ws)
                asyncio.get_running_loop().create_task(self._read(i, ws))

        await asyncio.gather(*(open_one(i, url) for i, url in enumerate(job.urls)))
        return len(up_times), first_start, max(up_times, default=first_start)

    def _gave_up(self, i: int) -> None:
        """A socket that never connected receives nothing: stop waiting for it."""
        if self.job.expected[i] > 0:
            self.remaining -= 1
            if self.remaining == 0:
                self.complete.set()

    async def _read(self, i: int, ws) -> None:
        from websockets.exceptions import ConnectionClosed

        expected = self.job.expected[i]
        changes = self.job.changes
        modulus = self.job.modulus
        group = self.job.groups[i] if self.job.groups else 0
        search = self.pattern.search
        try:
            async for message in ws:
                now = time.monotonic_ns()
                if isinstance(message, bytes):
                    message = message.decode()
                found = search(message)
                if found is None:
                    continue
                change = int(found.group(1))
                if modulus and change % modulus != group:
                    self.unexpected += 1  # another customer's record: a visibility leak
                    continue
                key = i * changes + change
                if key in self.seen:
                    self.duplicates += 1
                    continue
                self.seen.add(key)
                self.indexes.append(change)
                self.times.append(now)
                self.counts[i] += 1
                if self.counts[i] > expected:
                    self.unexpected += 1
                elif self.counts[i] == expected:
                    self.remaining -= 1
                    if self.remaining == 0:
                        self.complete.set()
        except ConnectionClosed:
            if not self.finishing:
                self.closed_early += 1
