"""A clean close for every socket when a server process is told to stop (SIGTERM).

Under daphne the Twisted reactor runs the application. Its "before shutdown" triggers run
while every connection is still open, so the hub sends each socket a close frame with 1001
(going away) there, and the process waits until those frames have left (at most
``FLUSH_SECONDS``) before Twisted drops the connections. Without this, clients saw 1006. uvicorn
closes its sockets itself on shutdown (with 1012, "service restart").
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from realtime.delivery.hub import Hub

FLUSH_SECONDS = 3.0


def close_sockets_on_shutdown(hub: Hub) -> None:
    reactor = sys.modules.get("twisted.internet.reactor")
    if reactor is None or not getattr(reactor, "running", False):
        return  # not under daphne: nothing to hook
    reactor.addSystemEventTrigger("before", "shutdown", _close_all, reactor, hub)


def _close_all(reactor: Any, hub: Hub) -> Any:
    from twisted.internet import defer, task

    from realtime import speedups
    from realtime.speedups import twisted

    if not hub.shut_down():
        return None
    deadline = time.monotonic() + FLUSH_SECONDS

    def flushed() -> bool:
        """Every connection of the reactor has sent what it holds (or the time is up). Without
        the speed-ups, a connection counts as holding bytes while it is registered for writing."""
        writers = reactor.getWriters()
        if speedups.enabled():
            writers = [writer for writer in writers if twisted.holds_unsent(writer)]
        return not writers or time.monotonic() > deadline

    @defer.inlineCallbacks
    def wait() -> Any:
        yield task.deferLater(reactor, 0.05, lambda: None)  # let the close frames be written
        while not flushed():
            yield task.deferLater(reactor, 0.05, lambda: None)

    return wait()
