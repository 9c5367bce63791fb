"""The change feed's query parameters, checked: ``after``, ``channels``, ``limit`` and ``wait``.
Bad values are a 400 naming the parameter; a channel that does not exist is a 400 naming it,
one the key may not read a 403 naming it."""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework import exceptions
from rest_framework.request import Request

from realtime.feed import keys
from realtime.feed.access import Reader

DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
MAX_WAIT = 30  # seconds a long-poll may wait: below the usual 60 s proxy read timeout


@dataclass(frozen=True, slots=True)
class FeedQuery:
    after: int
    channels: frozenset[str] | None  # None: every channel there is
    limit: int
    wait: int


def _integer(request: Request, name: str, default: int, lowest: int, highest: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise exceptions.ValidationError({name: [f"Must be an integer, not {raw[:40]!r}."]}) from None
    if value < lowest or (highest is not None and value > highest):
        bounds = f"from {lowest} to {highest}" if highest is not None else f"at least {lowest}"
        raise exceptions.ValidationError({name: [f"Must be {bounds}, not {value}."]})
    return value


def _channels(request: Request, reader: Reader) -> frozenset[str] | None:
    raw = request.query_params.get("channels")
    if raw is None or raw.strip() == "":
        return reader.channels
    asked = [name.strip() for name in raw.split(",") if name.strip()]
    known = set(keys.known_channels())
    unknown = [name for name in asked if name not in known]
    if unknown:
        raise exceptions.ValidationError({"channels": [f"Unknown channel(s): {', '.join(name[:50] for name in unknown)}."]})
    refused = [name for name in asked if not reader.may_read(name)]
    if refused:
        raise exceptions.PermissionDenied(f"This key may not read: {', '.join(refused)}.")
    return frozenset(asked)


def feed_query(request: Request, reader: Reader, *, waits: bool) -> FeedQuery:
    """The request's parameters, or a 400 (403 for channels out of the key's scope)."""
    return FeedQuery(
        after=_integer(request, "after", 0, 0),
        channels=_channels(request, reader),
        limit=_integer(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        wait=_integer(request, "wait", 0, 0, MAX_WAIT) if waits else 0,
    )
