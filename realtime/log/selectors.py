"""Reads of the event log and of notifications."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, models
from django.db.models import BooleanField, Min, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from realtime.conf import setting
from realtime.log.event_log import Delivery
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


def visible_to(user_id: int | None, is_staff: bool) -> Q:
    """The events a user may see, as a filter the database applies: public ones, those shown to
    staff when they are staff, and those naming them in their audience. The one visibility rule;
    ``ChannelIndex.recipients`` (realtime.delivery.index) is the same rule for the sockets of a hub."""
    visible = Q(public=True)
    if is_staff:
        visible |= Q(staff_visible=True)
    if user_id is not None:
        visible |= _audience_includes(int(user_id))
    return visible


def _audience_includes(user_id: int) -> Q:
    if connection.features.supports_json_field_contains:
        return Q(audience__contains=[user_id])
    # SQLite has no JSON containment; json_each reads the audience list in SQL all the same.
    table = connection.ops.quote_name(Event._meta.db_table)
    member = RawSQL(
        f"EXISTS (SELECT 1 FROM json_each({table}.audience) WHERE json_each.value = %s)", [user_id], output_field=BooleanField()
    )
    return Q(member)


def replay_needs_resync(*, channel: str, after: int, upto: int, user_id: int | None, is_staff: bool, limit: int) -> bool:
    """Whether a client resuming after event ``after`` must reload its state instead: ``after``
    is a number this log never handed out, part of the range was pruned, or more than ``limit``
    events it may see lie between ``after`` and ``upto``."""
    if after < 0 or after > last_seq():
        return True  # a number this log never handed out: the client's state is foreign
    if after >= upto:
        return False
    oldest_kept = Event.objects.filter(seq__isnull=False).aggregate(m=Min("seq"))["m"]
    if oldest_kept is None or after + 1 < oldest_kept:
        return True
    if upto - after <= limit:
        return False  # fewer ids than the limit in the range: no need to count what it holds
    return _visible_range(channel, after, upto, user_id, is_staff)[limit : limit + 1].exists()


def replay_page(
    *,
    channel: str,
    after: int,
    upto: int,
    user_id: int | None,
    is_staff: bool,
    limit: int,
    skip_notifications: Collection[str] = (),
) -> list[Delivery]:
    """The oldest ``limit`` events on ``channel`` with ``after < seq <= upto`` that the user may
    see, filtered in SQL (a user who may see none of 10,000 events reads no row of them),
    less the notifications ``skip_notifications`` (ids the socket already had)."""
    events = _visible_range(channel, after, upto, user_id, is_staff)
    if skip_notifications:
        events = events.exclude(type=Event.Type.NOTIFICATION, record_id__in=list(skip_notifications))
    return [Delivery.from_event(e) for e in events[:limit]]


def _visible_range(channel: str, after: int, upto: int, user_id: int | None, is_staff: bool) -> QuerySet[Event]:
    events = Event.objects.filter(channel=channel, seq__gt=after, seq__lte=upto)
    return events.filter(visible_to(user_id, is_staff)).order_by("seq")


def has_stale_unnumbered(older_than_seconds: float) -> bool:
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return Event.objects.filter(seq__isnull=True, created_at__lt=cutoff).exists()


def unconfirmed_notifications(user_id: int, upto: int, limit: int) -> list[Delivery]:
    """The user's stored notifications that no client of theirs has confirmed (``ack``) or
    read, numbered up to ``upto``: the newest ``limit`` of them, oldest first, each as its
    newest event."""
    ids = Notification.objects.filter(user_id=user_id, read_at__isnull=True, acknowledged_at__isnull=True).values_list(
        "pk", flat=True
    )
    events = Event.objects.filter(
        channel=setting("NOTIFICATION_CHANNEL"),
        type=Event.Type.NOTIFICATION,
        record_id__in=[str(i) for i in ids],
        seq__isnull=False,
        seq__lte=upto,
    ).order_by("-seq")
    # A notification updated in place (``record_notification(replaces=...)``) has one event per
    # version: only its newest is sent.
    newest: dict[str, Event] = {}
    for event in events.iterator():
        newest.setdefault(event.record_id, event)
        if len(newest) == limit:
            break
    return [Delivery.from_event(e) for e in reversed(newest.values())]


def notifications_of(user_id: int) -> QuerySet[Notification]:
    return Notification.objects.filter(user_id=user_id)


def account_status(user_ids: set[int]) -> dict[int, tuple[bool, bool]]:
    """``{user id: (is_active, is_staff)}`` for connected users; missing ids were deleted."""
    users = get_user_model().objects.filter(pk__in=user_ids).order_by().values_list("pk", "is_active", "is_staff")
    return {pk: (is_active, is_staff) for pk, is_active, is_staff in users}


def recent_messages(channel: str, *, upto: int, limit: int, user_id: int | None, is_staff: bool) -> list[dict[str, Any]]:
    """The client messages of a channel's newest events up to ``upto`` that the user may see,
    oldest first (a page's initial state before its socket takes over)."""
    rows = Event.objects.filter(channel=channel, seq__isnull=False, seq__lte=upto).filter(visible_to(user_id, is_staff))
    return [{**event.payload, "event_id": event.seq} for event in reversed(rows.order_by("-seq")[:limit])]


def pks_referring_to(instance: models.Model, field: models.ForeignKey[Any, Any]) -> list[Any]:
    """The primary keys of the rows whose foreign key ``field`` points at ``instance``."""
    return list(field.model._base_manager.filter(**{field.name: instance}).values_list("pk", flat=True))
