"""What operators see: one structured log line per connection, the ``realtime.security`` log
of refused and invalid input (rate-limited so it cannot be flooded), and Prometheus metrics.

Metrics work per process out of the box; with several server processes set
``PROMETHEUS_MULTIPROC_DIR`` (docs/operations.md) and ``/metrics`` aggregates them.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import orjson
from prometheus_client import Counter, Gauge, Histogram

from realtime.conf import setting

connection_logger = logging.getLogger("realtime.connections")
security_logger = logging.getLogger("realtime.security")

CONNECTIONS = Gauge("realtime_connections", "Open WebSocket connections", ["channel"], multiprocess_mode="livesum")
DELIVERED = Counter("realtime_messages_delivered_total", "Messages sent to sockets", ["channel", "type"])
PUBLISHED = Counter("realtime_events_published_total", "Events numbered and published", ["channel"])
LATENCY = Histogram(
    "realtime_delivery_latency_seconds",
    "From numbering after commit to the socket send",
    ["channel"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REFUSED = Counter("realtime_connections_refused_total", "Connections refused", ["reason"])
INVALID = Counter("realtime_invalid_messages_total", "Invalid client messages", ["channel"])
REPLAYS = Counter("realtime_replays_total", "Resumes served, by outcome", ["outcome"])
GAPS_FILLED = Counter(
    "realtime_gap_events_filled_total",
    "Events the channel layer did not bring (dropped over capacity, lost in an outage) and a hub read from the log",
)
PUBLISH_FAILURES = Counter("realtime_publish_failures_total", "Batches the channel layer refused")
SLOW_CONSUMERS = Counter(
    "realtime_slow_consumers_closed_total", "Sockets closed with 4008 because they stopped reading", ["channel"]
)
PRESENCE_TOPICS = Gauge(
    "realtime_presence_topics", "Presence topics with a member on this server process", multiprocess_mode="liveall"
)
PRESENCE_MEMBERS = Gauge(
    "realtime_presence_members", "Presence members (user and topic) held by this server process", multiprocess_mode="liveall"
)
FOREIGN_BATCHES = Counter(
    "realtime_foreign_batches_dropped_total",
    "Batches from another deployment sharing the Redis server (same prefix), dropped unread",
)

# A token's or ticket's own characters only (base64url and dots, perhaps percent-encoded): the
# hint "pass ?token=<JWT access token>." is no token and stays readable.
_TOKEN = re.compile(r"((?:token|ticket)=)[A-Za-z0-9\-_.~%+/=]+", re.IGNORECASE)
_BEARER = re.compile(r"(bearer\s+)[A-Za-z0-9\-_.]+", re.IGNORECASE)


def redact(text: str) -> str:
    """Tokens never reach a log: ``token=…``, ``ticket=…`` and ``Bearer …`` become ``[redacted]``."""
    return _BEARER.sub(r"\1[redacted]", _TOKEN.sub(r"\1[redacted]", text))


class RedactTokensFilter(logging.Filter):
    """A logging filter for every handler: scrubs tokens from the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = _redacted_args(record) or (cleaned, None)
        return True


def _redacted_args(record: logging.LogRecord) -> tuple[Any, tuple[Any, ...]] | None:
    """The record's format and its arguments with each one redacted, when that gives the clean
    line: formatters that read the arguments themselves (uvicorn's access line unpacks
    client, method, path, version and status) then keep working."""
    if not isinstance(record.args, tuple) or not record.args:
        return None
    args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
    try:
        line = str(record.msg) % args
    except (TypeError, ValueError):
        return None
    return (record.msg, args) if redact(line) == line else None


def format_fields(fields: dict[str, Any]) -> str:
    if setting("LOG_FORMAT") == "json":
        return orjson.dumps(fields).decode()
    parts = []
    for key, value in fields.items():
        text = "" if value is None else str(value)
        if not text or any(c in text for c in ' "='):
            text = '"' + text.replace('"', '\\"') + '"'
        parts.append(f"{key}={text}")
    return " ".join(parts)


def log_connection(event: str, **fields: Any) -> None:
    connection_logger.info(format_fields({"event": event, **fields}))


class SecurityLog:
    """Rate-limited log lines (``realtime.security`` unless told otherwise): at most ``burst``
    per key per minute, then one summary line when the minute ends, so a flood cannot fill the
    disk."""

    def __init__(self, burst: int = 10, window: float = 60.0, logger: logging.Logger = security_logger) -> None:
        self.burst, self.window, self.logger = burst, window, logger
        self._counts: dict[str, tuple[float, int]] = {}

    def warning(self, kind: str, **fields: Any) -> None:
        key = f"{kind}:{fields.get('user')}:{fields.get('remote')}"
        now = time.monotonic()
        started, count = self._counts.get(key, (now, 0))
        if now - started > self.window:
            if count > self.burst:
                self.logger.warning(format_fields({"event": "suppressed", "kind": kind, "count": count - self.burst}))
            started, count = now, 0
        count += 1
        self._counts[key] = (started, count)
        if len(self._counts) > 10_000:
            self._counts.clear()
        if count <= self.burst:
            self.logger.warning(format_fields({"event": kind, **fields}))


security_log = SecurityLog()
# Sockets that fail while being written to (a peer gone mid-send): a few lines a minute, not a
# traceback per batch.
delivery_log = SecurityLog(burst=3, logger=logging.getLogger("realtime.delivery"))
