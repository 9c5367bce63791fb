"""What clients may send on a socket, checked before anything is done with it."""

from __future__ import annotations

from typing import Any

import orjson

MAX_IDS = 1000  # per message, and per socket for ``subscribe``


class InvalidMessage(ValueError):
    """A client message the server will not act on; its text is sent back as the error."""


def parse(text: str) -> dict[str, Any]:
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InvalidMessage("Invalid JSON.") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise InvalidMessage('Messages are JSON objects with a "type", e.g. {"type": "ping"}.')
    return message


def record_ids(message: dict[str, Any]) -> set[str]:
    ids = message.get("ids")
    if not isinstance(ids, list) or len(ids) > MAX_IDS:
        raise InvalidMessage(f'"ids" must be a list of at most {MAX_IDS} record ids.')
    if not all((isinstance(i, int) and not isinstance(i, bool)) or (isinstance(i, str) and 0 < len(i) <= 64) for i in ids):
        raise InvalidMessage('"ids" must hold integers or short strings.')
    return {str(i) for i in ids}


def notification_ids(message: dict[str, Any]) -> list[int]:
    ids = record_ids(message)
    if not all(is_number(i) for i in ids):
        raise InvalidMessage('"ids" must be notification ids (integers).')
    return sorted(int(i) for i in ids)


def event_id(message: dict[str, Any]) -> int:
    after = message.get("last_event_id")
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise InvalidMessage("resume needs last_event_id, a non-negative integer.")
    return after


def is_number(value: str) -> bool:
    """An id the database can hold: ASCII digits (``"²".isdigit()`` is true), below 2**63."""
    return value.isascii() and value.isdigit() and int(value) < 2**63


def sorted_ids(ids: set[str]) -> list[int | str]:
    numbers = sorted(int(i) for i in ids if is_number(i))
    return [*numbers, *sorted(i for i in ids if not is_number(i))]
