"""The messages clients receive, as closed typed schemas, and their one encoding to text.

The client-facing ``type`` (``realtime_update``, ``notification``, ...) is part of the
protocol in docs/protocol.md; keys are exactly those listed here.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

import orjson
from django.utils import timezone

Action = str  # created, updated, deleted, or one of a publication's own ``actions``
ACTIONS: tuple[str, ...] = ("created", "updated", "deleted")


class RealtimeUpdate(TypedDict):
    type: Literal["realtime_update"]
    entity_type: str
    action: Action
    data: dict[str, Any]
    timestamp: str


class NotificationMessage(TypedDict):
    type: Literal["notification"]
    notification_type: str
    notification_id: int  # what ``ack``, ``mark_read`` and /api/notifications/ name it by
    user_id: str
    data: dict[str, Any]
    timestamp: str


def now_iso() -> str:
    """An ISO 8601 timestamp with its UTC offset, e.g. ``2024-01-15T10:30:00+00:00``."""
    return timezone.now().isoformat()


def to_json_data(data: Any) -> dict[str, Any]:
    """Plain JSON primitives only (no Decimal, datetime or model instance), or TypeError."""
    try:
        copy: dict[str, Any] = orjson.loads(orjson.dumps(data))
        return copy
    except TypeError as exc:
        raise TypeError(f"event data must be JSON primitives: {exc}") from None


def realtime_update(entity_type: str, action: str, data: Any, *, extra_actions: tuple[str, ...] = ()) -> RealtimeUpdate:
    if action not in ACTIONS and action not in extra_actions:
        raise ValueError(f"action must be one of {', '.join((*ACTIONS, *extra_actions))}, not {action!r}")
    return {
        "type": "realtime_update",
        "entity_type": entity_type,
        "action": action,
        "data": to_json_data(data),
        "timestamp": now_iso(),
    }


def notification(user_id: int | str, notification_type: str, data: Any, *, notification_id: int) -> NotificationMessage:
    if not notification_type or not isinstance(notification_type, str):
        raise ValueError("notification_type must be a non-empty string")
    return {
        "type": "notification",
        "notification_type": notification_type,
        "notification_id": notification_id,
        "user_id": str(user_id),
        "data": to_json_data(data),
        "timestamp": now_iso(),
    }


def encode_body(payload: dict[str, Any]) -> str:
    """A message without its event_id, as stored in the log."""
    return orjson.dumps(payload).decode()


def frame(body: str, event_id: int) -> str:
    """The frame text for one event: its stored body with the event_id appended, built once
    and sent as is to every socket that may see it."""
    return f'{body[:-1]},"event_id":{event_id}}}'


def websocket_frame(text: str) -> bytes:
    """``text`` as one final, unmasked WebSocket text frame (RFC 6455 §5.2), as a server sends
    it: the same bytes for every socket, so the fan-out builds them once per event."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        head = bytes((0x81, size))
    elif size < 1 << 16:
        head = bytes((0x81, 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x81, 127)) + size.to_bytes(8, "big")
    return head + payload


def control(message_type: str, **fields: Any) -> str:
    """A frame the server sends outside the event stream (``pong``, ``error``, ...)."""
    return orjson.dumps({"type": message_type, **fields}).decode()
