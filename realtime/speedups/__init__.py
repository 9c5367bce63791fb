"""Speed-ups that rest on other libraries' private or undocumented internals, one module per
library, all behind one switch: ``settings.REALTIME["SPEEDUPS"]`` (default on; a project may
read it from the environment, e.g. ``REALTIME_SPEEDUPS``). Off, ``realtime``
runs on public APIs only. What each buys is in docs/performance.md; a guard test per module
(tests/realtime/speedups/) fails when an upgraded library no longer behaves as it assumes.

- ``daphne``: recognises daphne's ASGI ``send`` and reaches the autobahn protocol behind it;
- ``autobahn``: frames written, closes with any code, the close handshake's timeout, debug
  formatting skipped;
- ``twisted``: a frame sent at once when Twisted holds nothing, the bytes Twisted holds, the
  upgraded HTTP request let go;
- ``channels``: the consumer's loop and dispatch without Channels' per-socket task and per-message
  thread hop;
- ``asgiref``: whether sync code runs in a request's thread of its own;
- ``django_orm``: an event's INSERT built once, and rows turned into instances as the ORM would.
"""

from __future__ import annotations

from realtime.conf import setting


def enabled() -> bool:
    """Whether the speed-ups are on (``settings.REALTIME["SPEEDUPS"]``)."""
    return bool(setting("SPEEDUPS"))
