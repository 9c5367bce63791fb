"""Integration keys: made (and shown) once, stored as their SHA-256, revocable. A key is
``rtk_`` and 43 characters of ``secrets.token_urlsafe`` (256 random bits): a digest of so much
entropy needs no salt or slow hash, and is looked up by its index, then compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from realtime.declaring.registry import registry
from realtime.models import IntegrationKey

KEY_PREFIX = "rtk_"
MAX_KEY_LENGTH = 100  # longer input is no key of ours: refused without a query
LAST_USE_PRECISION = timedelta(minutes=1)  # last_used_at is written at most this often per key


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def known_channels() -> list[str]:
    return [publication.channel for publication in registry().publications]


@transaction.atomic
def integration_key_create(*, name: str, channels: Iterable[str]) -> tuple[IntegrationKey, str]:
    """A new key named ``name`` that may read ``channels``; returns the row and the key itself,
    which is not stored anywhere and cannot be shown again."""
    channels = list(dict.fromkeys(channels))
    unknown = [channel for channel in channels if channel not in known_channels()]
    if unknown:
        raise ValidationError({"channels": f"Unknown channel(s): {', '.join(unknown)}."})
    if not channels:
        raise ValidationError({"channels": "A key must be allowed at least one channel."})
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = IntegrationKey(name=name, channels=channels, prefix=key[: len(KEY_PREFIX) + 6], digest=_digest(key))
    row.full_clean()
    row.save()
    return row, key


def integration_key_revoke(*, key_id: int) -> bool:
    """Revoke a key from now on; False when it was revoked already (or does not exist)."""
    return bool(IntegrationKey.objects.filter(pk=key_id, revoked_at__isnull=True).update(revoked_at=timezone.now()))


def integration_key_find(*, key: str) -> IntegrationKey | None:
    """The key's row if ``key`` is a key of ours, whether revoked or not; None otherwise."""
    if not key.startswith(KEY_PREFIX) or len(key) > MAX_KEY_LENGTH:
        return None
    digest = _digest(key)
    row = IntegrationKey.objects.filter(digest=digest).first()
    if row is None or not hmac.compare_digest(row.digest, digest):
        return None
    return row


def integration_key_used(*, row: IntegrationKey) -> None:
    """Record that the key was used now: one UPDATE a minute at most per key, not one a request."""
    now = timezone.now()
    if row.last_used_at is not None and now - row.last_used_at < LAST_USE_PRECISION:
        return
    IntegrationKey.objects.filter(pk=row.pk).update(last_used_at=now)
    row.last_used_at = now
