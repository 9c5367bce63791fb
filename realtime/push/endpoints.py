"""What a subscription may be: an endpoint under one of ``WEBPUSH_ALLOWED_ENDPOINTS`` (so that
the worker never sends requests to an arbitrary host) and the browser's keys."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from realtime.conf import setting
from realtime.push.keys import b64url_decode

MAX_ENDPOINT_LENGTH = 1024


def _port(url: SplitResult) -> int | None:
    return url.port or {"https": 443, "http": 80}.get(url.scheme)


def _host_matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def endpoint_allowed(endpoint: str, prefixes: list[str] | None = None) -> bool:
    """Whether ``endpoint`` lies under one of the prefixes, compared by part (scheme, host,
    port, then path), so that ``https://fcm.googleapis.com.evil.example/`` is not under
    ``https://fcm.googleapis.com/``. A host pattern ``*.notify.windows.com`` stands for its
    subdomains."""
    try:
        url = urlsplit(endpoint)
        port = _port(url)
    except ValueError:
        return False
    if url.username is not None or url.password is not None or not url.hostname or url.scheme not in ("http", "https"):
        return False
    for prefix in setting("WEBPUSH_ALLOWED_ENDPOINTS") if prefixes is None else prefixes:
        allowed = urlsplit(prefix)
        if (
            allowed.scheme == url.scheme
            and _host_matches(url.hostname, (allowed.hostname or "").lower())
            and _port(allowed) == port
            and url.path.startswith(allowed.path or "/")
        ):
            return True
    return False


def endpoint_problem(endpoint: object) -> str | None:
    if not isinstance(endpoint, str) or not endpoint:
        return "Give the subscription's endpoint URL."
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        return f"At most {MAX_ENDPOINT_LENGTH} characters."
    if not endpoint_allowed(endpoint):
        return "This push service is not allowed here (WEBPUSH_ALLOWED_ENDPOINTS)."
    return None


def p256dh_problem(value: object) -> str | None:
    """None for a P-256 public point, uncompressed (65 bytes), in base64url."""
    try:
        raw = b64url_decode(value)  # type: ignore[arg-type]
        if len(raw) != 65 or raw[0] != 4:
            raise ValueError
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except (ValueError, TypeError):
        return "Not a P-256 public key (65 bytes, uncompressed) in base64url."
    return None


def auth_problem(value: object) -> str | None:
    try:
        if len(b64url_decode(value)) != 16:  # type: ignore[arg-type]
            raise ValueError
    except (ValueError, TypeError):
        return "Not a 16-byte authentication secret in base64url."
    return None


def loggable(endpoint: str) -> str:
    """The endpoint for a log line: its origin only; the path is the subscription's secret."""
    url = urlsplit(endpoint)
    return f"{url.scheme}://{url.netloc}/…"
