"""Writes of the real-time app's own records: notifications read and delivered, the log pruned."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.utils import timezone

from realtime.models import Event, Notification


def notifications_mark_read(*, user_id: int, ids: Iterable[int] | None = None) -> list[int]:
    """Mark the user's notifications read (all unread ones when ``ids`` is None); returns the
    ids that changed. Ids of other users' notifications are ignored."""
    unread = Notification.objects.filter(user_id=user_id, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    changed = sorted(unread.values_list("pk", flat=True))
    Notification.objects.filter(pk__in=changed).update(read_at=timezone.now())
    return changed


def notifications_acknowledge(*, user_id: int, ids: Iterable[int]) -> list[int]:
    """Record that a client of the user has the notifications ``ids`` (an ``ack``): new sockets
    stop receiving them. Returns the ids that changed; other users' ids are ignored."""
    pending = Notification.objects.filter(user_id=user_id, pk__in=list(ids), acknowledged_at__isnull=True)
    changed = sorted(pending.values_list("pk", flat=True))
    Notification.objects.filter(pk__in=changed).update(acknowledged_at=timezone.now())
    return changed


def notifications_mark_delivered(*, ids: Iterable[int]) -> None:
    Notification.objects.filter(pk__in=list(ids), delivered_at__isnull=True).update(delivered_at=timezone.now())


def events_prune(*, older_than_days: int) -> int:
    """Delete events older than the retention; clients resuming from before them are told to
    resync. Returns how many were deleted."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = Event.objects.filter(created_at__lt=cutoff, seq__isnull=False).delete()
    return deleted
