"""What a test expects of a server started with this run's ``REALTIME_SPEEDUPS`` (the server
processes the tests start inherit it)."""

from __future__ import annotations

from realtime import speedups
from realtime.sockets import close_codes


def speedups_on() -> bool:
    """realtime's switch (``REALTIME["SPEEDUPS"]``), which a project sets from its own."""
    return speedups.enabled()


def sent_close_code(code: int) -> int:
    """The code a client sees when the server closes with ``code``: the code itself with the
    speed-ups, else what daphne's ``websocket.close`` can send instead (``close_codes.sendable``;
    through the ASGI ``send`` the server cannot tell which server it runs under)."""
    return code if speedups_on() else close_codes.sendable(code)
