"""Sending one push. ``PushSender`` is the interface the worker uses, so that a sender for a
mobile push service (FCM, APNs) could stand beside ``WebPushSender``, which speaks Web Push:
the payload encrypted ``aes128gcm`` for the browser's keys (RFC 8291), signed with VAPID
(RFC 8292: ``aud`` the endpoint's origin, ``exp`` 12 hours ahead, ``sub`` the contact)."""

from __future__ import annotations

import email.utils
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from py_vapid import Vapid02  # type: ignore[import-untyped]  # ships no types
from pywebpush import WebPusher  # type: ignore[import-untyped]  # ships no types

TTL_SECONDS = 86_400  # a push service keeps an undelivered push this long
VAPID_SECONDS = 12 * 3600  # a token's lifetime (at most 24 h, RFC 8292); renewed an hour before
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class PushRequest:
    endpoint: str
    p256dh: str
    auth: str
    payload: bytes
    urgency: str = "normal"
    topic: str | None = None
    ttl: int = TTL_SECONDS


@dataclass(frozen=True, slots=True)
class PushResult:
    """The push service's answer: ``status`` None when none came (a network error)."""

    status: int | None
    retry_after: float | None = None  # seconds, from Retry-After
    error: str = ""


class PushSender(ABC):
    """Sends one push and says what the service answered; called from several threads."""

    @abstractmethod
    def send(self, request: PushRequest) -> PushResult: ...

    def close(self) -> None:  # noqa: B027 - a sender may hold nothing to close
        """Release connections."""


class WebPushSender(PushSender):
    """pywebpush encrypts; the request goes out through a urllib3 pool that keeps connections
    to each push service open (a ``requests`` session costs ≈ 8 ms a request in its own
    bookkeeping, more than the push). No proxy is used: the push services must be reachable."""

    def __init__(self, signer: Vapid02, subject: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.signer, self.subject, self.timeout = signer, subject, timeout
        self.pool = urllib3.PoolManager(num_pools=20, maxsize=16, retries=False, timeout=urllib3.Timeout(total=timeout))
        self._tokens: dict[str, tuple[float, dict[str, str]]] = {}  # audience: (expiry, headers)

    def vapid_headers(self, endpoint: str) -> dict[str, str]:
        """The Authorization header for the endpoint's push service, signed once per audience
        and reused until an hour before it expires."""
        url = urlsplit(endpoint)
        audience = f"{url.scheme}://{url.netloc}"
        now = time.time()
        cached = self._tokens.get(audience)
        if cached is None or cached[0] - 3600 < now:
            expiry = int(now) + VAPID_SECONDS
            headers = self.signer.sign({"aud": audience, "exp": expiry, "sub": self.subject})
            cached = self._tokens[audience] = (expiry, headers)
        return cached[1]

    def send(self, request: PushRequest) -> PushResult:
        pusher = WebPusher({"endpoint": request.endpoint, "keys": {"p256dh": request.p256dh, "auth": request.auth}})
        headers = {
            **self.vapid_headers(request.endpoint),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(request.ttl),
            "Urgency": request.urgency,
        }
        if request.topic:
            headers["Topic"] = request.topic
        body = pusher.encode(request.payload, "aes128gcm")["body"]
        try:
            response = self.pool.request("POST", request.endpoint, body=body, headers=headers, redirect=False)
        except urllib3.exceptions.HTTPError as error:
            return PushResult(None, error=type(error).__name__)
        return PushResult(response.status, retry_after_seconds(response.headers.get("Retry-After")))

    def close(self) -> None:
        self.pool.clear()


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds from now: a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
