"""The VAPID key pair (RFC 8292): base64url without padding, as browsers' ``applicationServerKey``
takes the public key (the 65-byte uncompressed P-256 point) and as key generators print the
private one (the raw 32-byte scalar)."""

from __future__ import annotations

import base64
import binascii
import functools
import logging

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ImproperlyConfigured
from py_vapid import Vapid02  # type: ignore[import-untyped]  # ships no types

from realtime.conf import setting

logger = logging.getLogger(__name__)


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of base64url text, padded or not; ValueError for anything else."""
    if not isinstance(text, str) or not text or any(c not in _ALPHABET for c in text.rstrip("=")):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None


_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def public_point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def generate_pair() -> tuple[str, str]:
    """A new (private, public) VAPID pair, base64url without padding."""
    private = ec.generate_private_key(ec.SECP256R1())
    scalar = private.private_numbers().private_value.to_bytes(32, "big")
    return b64url_encode(scalar), b64url_encode(public_point(private.public_key()))


def is_configured() -> bool:
    return bool(setting("WEBPUSH_VAPID_PRIVATE_KEY") and setting("WEBPUSH_VAPID_PUBLIC_KEY"))


def public_key() -> str:
    return str(setting("WEBPUSH_VAPID_PUBLIC_KEY"))


def vapid() -> Vapid02:
    """The signer for the configured pair; ImproperlyConfigured when the pair is unusable."""
    return _vapid(setting("WEBPUSH_VAPID_PRIVATE_KEY"), setting("WEBPUSH_VAPID_PUBLIC_KEY"))


@functools.cache
def _vapid(private: str, public: str) -> Vapid02:
    try:
        scalar = b64url_decode(private)
        if len(scalar) != 32:
            raise ValueError("not 32 bytes")
        signer = Vapid02(ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1()))
    except ValueError as error:
        raise ImproperlyConfigured(f"WEBPUSH_VAPID_PRIVATE_KEY is not a raw P-256 private key in base64url ({error}).") from None
    if b64url_encode(public_point(signer.public_key)) != public.rstrip("="):
        raise ImproperlyConfigured("WEBPUSH_VAPID_PUBLIC_KEY is not the public key of WEBPUSH_VAPID_PRIVATE_KEY.")
    return signer
