"""``manage.py webpush_keys``: print a new VAPID key pair as environment lines, for
``WEBPUSH_VAPID_PRIVATE_KEY`` and ``WEBPUSH_VAPID_PUBLIC_KEY`` (``make run`` writes one into
the development .env)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from realtime.push.keys import generate_pair


class Command(BaseCommand):
    help = (
        "Print a new VAPID key pair (base64url, no padding) as WEBPUSH_VAPID_PRIVATE_KEY=… and WEBPUSH_VAPID_PUBLIC_KEY=… lines."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        private, public = generate_pair()
        self.stdout.write(f"WEBPUSH_VAPID_PRIVATE_KEY={private}\nWEBPUSH_VAPID_PUBLIC_KEY={public}")
