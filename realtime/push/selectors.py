"""Reads for Web Push: a user's subscriptions, and where the worker stands."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from realtime.log import selectors as log_selectors
from realtime.models import PushCursor, PushDelivery, PushSubscription

CURSOR = "push_worker"


def subscriptions_of(user_id: int) -> QuerySet[PushSubscription]:
    return PushSubscription.objects.filter(user_id=user_id).order_by("id")


def worker_status() -> dict[str, Any] | None:
    """The worker's position in the log, how far behind it is and what waits; None before its
    first start."""
    cursor = PushCursor.objects.filter(name=CURSOR).first()
    if cursor is None:
        return None
    newest = log_selectors.last_seq()
    return {
        "position": cursor.position,
        "behind": max(0, newest - cursor.position),
        "pending": PushDelivery.objects.filter(state=PushDelivery.State.PENDING).count(),
        "updated_at": cursor.updated_at.timestamp(),
    }
