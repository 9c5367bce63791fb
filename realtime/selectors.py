"""Reads of the event log and of notifications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Min, QuerySet
from django.utils import timezone

from realtime.event_log import Delivery
from realtime.models import Event, EventCounter, Notification


def last_seq() -> int:
    """The newest event number handed out (0 before the first)."""
    return EventCounter.objects.filter(pk=1).values_list("last_seq", flat=True).first() or 0


def deliveries_between(after: int, upto: int | None = None, *, channel: str | None = None) -> list[Delivery]:
    """Numbered events with ``after < seq <= upto``, oldest first."""
    events = Event.objects.filter(seq__gt=after)
    if upto is not None:
        events = events.filter(seq__lte=upto)
    if channel is not None:
        events = events.filter(channel=channel)
    return [Delivery.from_event(e) for e in events.order_by("seq")]


@dataclass(frozen=True)
class Replay:
    resync_required: bool
    deliveries: list[Delivery]


def replay(
    *, channel: str, after: int, upto: int, user_id: int | None, is_staff: bool, limit: int
) -> Replay:
    """What a client resuming after event ``after`` missed on ``channel`` up to ``upto``,
    limited to what it may see. When part of that range was pruned, or it is longer than
    ``limit``, the client must reload its state instead (``resync_required``)."""
    if after < 0 or after > last_seq():
        return Replay(True, [])  # a number this log never handed out: the client's state is foreign
    if after >= upto:
        return Replay(False, [])
    oldest_kept = Event.objects.filter(seq__isnull=False).aggregate(m=Min("seq"))["m"]
    if oldest_kept is None or after + 1 < oldest_kept:
        return Replay(True, [])
    rows = list(Event.objects.filter(channel=channel, seq__gt=after, seq__lte=upto).order_by("seq")[: limit + 1])
    if len(rows) > limit:
        return Replay(True, [])
    deliveries = [Delivery.from_event(e) for e in rows]
    return Replay(False, [d for d in deliveries if d.visible_to(user_id, is_staff)])


def has_stale_unnumbered(older_than_seconds: float) -> bool:
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return Event.objects.filter(seq__isnull=True, created_at__lt=cutoff).exists()


def undelivered_notifications(user_id: int, upto: int) -> list[Delivery]:
    """The user's unread notifications that no socket of theirs has received yet, oldest first."""
    ids = Notification.objects.filter(user_id=user_id, read_at__isnull=True, delivered_at__isnull=True).values_list("pk", flat=True)
    events = Event.objects.filter(
        type=Event.Type.NOTIFICATION, record_id__in=[str(i) for i in ids], seq__isnull=False, seq__lte=upto
    ).order_by("seq")
    return [Delivery.from_event(e) for e in events]


def notifications_of(user_id: int) -> QuerySet[Notification]:
    return Notification.objects.filter(user_id=user_id)


def account_status(user_ids: set[int]) -> dict[int, tuple[bool, bool]]:
    """``{user id: (is_active, is_staff)}`` for connected users; missing ids were deleted."""
    users = get_user_model().objects.filter(pk__in=user_ids).order_by().values_list("pk", "is_active", "is_staff")
    return {pk: (is_active, is_staff) for pk, is_active, is_staff in users}


def recent_messages(channel: str, *, upto: int, limit: int, user_id: int | None, is_staff: bool) -> list[dict]:
    """The client messages of a channel's newest events up to ``upto`` that the user may see,
    oldest first (a page's initial state before its socket takes over)."""
    rows = Event.objects.filter(channel=channel, seq__isnull=False, seq__lte=upto).order_by("-seq")[: limit * 3]
    visible = [
        {**event.payload, "event_id": event.seq}
        for event in rows
        if Delivery.from_event(event).visible_to(user_id, is_staff)
    ][:limit]
    return visible[::-1]


def pks_referring_to(instance: models.Model, field: models.ForeignKey) -> list[Any]:
    """The primary keys of the rows whose foreign key ``field`` points at ``instance``."""
    return list(field.model._base_manager.filter(**{field.name: instance}).values_list("pk", flat=True))
