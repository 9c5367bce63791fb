"""Small typed readers for environment variables that refuse bad values loudly.

Every setting that comes from the environment is read through one of these, in
``petland/settings.py`` and nowhere else.
"""

from __future__ import annotations

import base64
import binascii
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_is_set(name: str) -> bool:
    """Whether ``name`` is in the environment at all, even empty (``REDIS_URL=`` means "none")."""
    return name in os.environ


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of {', '.join(choices)}")
    return value


def env_base64url(name: str, *, length: int) -> str:
    """A key in base64url without padding that decodes to ``length`` bytes, or "" when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ""
    try:
        decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) != length or "=" in raw or not set(raw) <= _BASE64URL:
        raise ImproperlyConfigured(f"{name} must be {length} bytes in base64url without padding (manage.py webpush_keys)")
    return raw


_BASE64URL = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def load_env_file(path: str) -> None:
    """Read ``KEY=value`` lines from ``path`` (``.env``, which ``make run`` writes) into the
    environment; variables already set win. An empty path or a missing file reads nothing."""
    if path and Path(path).is_file():
        load_dotenv(path, override=False)


def redis_answers(url: str, timeout: float = 0.2) -> bool:
    """Whether a Redis at ``url`` answers PING within ``timeout`` seconds (a development
    convenience: settings use a local Redis when one is running)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
