"""What a push shows: the project maps a stored notification to a ``PushContent``
(``settings.REALTIME["WEBPUSH_CONTENT"]``, a dotted path), and this module makes the payload
the service worker reads, ``{"title", "body", "url", "notification_id", "notification_type",
"tag"}``, at most ``MAX_PAYLOAD_BYTES``."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import orjson
from django.utils.module_loading import import_string

from realtime.conf import setting
from realtime.models import Notification
from realtime.push.keys import b64url_encode

MAX_PAYLOAD_BYTES = 3072  # what every push service takes (RFC 8291 leaves 3993 after encryption)
SHORT_BODY = 120  # characters of the body kept when a push service answered 413
URGENCIES = ("very-low", "low", "normal", "high")  # RFC 8030, 5.3
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # RFC 8030, 5.4: at most 32 base64url characters


@dataclass(frozen=True, slots=True)
class PushContent:
    """``topic``: pushes with the same topic replace each other while undelivered (a newer chat
    message replaces the older); ``tag``: the same for notifications shown (None: one per
    notification)."""

    title: str
    body: str = ""
    url: str = "/"
    urgency: str = "normal"
    topic: str | None = None
    tag: str | None = None


def default_content(notification: Notification) -> PushContent:
    """For projects that map nothing: the type as the title, ``data["message"]`` as the body."""
    return PushContent(title=notification.type.replace("_", " ").capitalize(), body=str(notification.data.get("message", "")))


@functools.cache
def _mapping(path: str) -> Callable[[Notification], PushContent]:
    return cast(Callable[[Notification], PushContent], import_string(path))


def content_for(notification: Notification) -> PushContent:
    return _mapping(setting("WEBPUSH_CONTENT"))(notification)


def urgency(content: PushContent) -> str:
    return content.urgency if content.urgency in URGENCIES else "normal"


def topic(content: PushContent) -> str | None:
    """The ``Topic`` header: the project's topic when it is valid as one, else a digest of it."""
    if content.topic is None or _TOPIC.match(content.topic):
        return content.topic
    return b64url_encode(hashlib.sha256(content.topic.encode()).digest()[:24])


def payload(notification: Notification, content: PushContent, *, short: bool = False) -> bytes:
    """The JSON the service worker receives; the body (then the title) cut until it fits."""
    title, body = content.title, content.body[:SHORT_BODY] if short else content.body
    while True:
        encoded = orjson.dumps(
            {
                "title": title,
                "body": body,
                "url": content.url,
                "notification_id": notification.pk,
                "notification_type": notification.type,
                "tag": content.tag or f"notification-{notification.pk}",
            }
        )
        if len(encoded) <= MAX_PAYLOAD_BYTES:
            return encoded
        if body:
            body = _cut(body, len(encoded) - MAX_PAYLOAD_BYTES)
        elif title:
            title = _cut(title, len(encoded) - MAX_PAYLOAD_BYTES)
        else:
            raise ValueError(f"the payload of notification {notification.pk} exceeds {MAX_PAYLOAD_BYTES} bytes without text")


def _cut(text: str, excess_bytes: int) -> str:
    """``text`` shorter by at least ``excess_bytes`` of UTF-8, cut at a character and ending
    in an ellipsis ("" when nothing of it would be left)."""
    raw = text.encode()
    keep = len(raw) - max(excess_bytes, 1) - len(_ELLIPSIS)
    return raw[:keep].decode("utf-8", "ignore") + "…" if keep > 0 else ""


_ELLIPSIS = "…".encode()
