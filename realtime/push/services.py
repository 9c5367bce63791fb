"""Writes for Web Push: subscriptions (the REST API's), and the worker's cursor and deliveries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from realtime.conf import setting
from realtime.log import selectors as log_selectors
from realtime.models import PushCursor, PushDelivery, PushSubscription
from realtime.push.selectors import CURSOR


@transaction.atomic
def subscription_save(*, user_id: int, endpoint: str, p256dh: str, auth: str) -> tuple[PushSubscription, bool]:
    """The user's subscription for ``endpoint`` with these keys (a browser that subscribes again
    keeps its endpoint and may get new keys); ``created`` is False for a known endpoint. The
    caller has checked the endpoint and keys (``realtime.push.endpoints``)."""
    existing = PushSubscription.objects.select_for_update().filter(user_id=user_id, endpoint=endpoint).first()
    if existing is not None:
        existing.p256dh, existing.auth = p256dh, auth
        existing.save(update_fields=["p256dh", "auth"])
        return existing, False
    limit = setting("WEBPUSH_MAX_SUBSCRIPTIONS")
    if PushSubscription.objects.filter(user_id=user_id).count() >= limit:
        raise ValidationError({"endpoint": f"At most {limit} push subscriptions per user: delete one first."})
    return PushSubscription.objects.create(user_id=user_id, endpoint=endpoint, p256dh=p256dh, auth=auth), True


def subscription_delete(*, user_id: int, subscription_id: int) -> bool:
    """Delete the user's subscription; False when they have none of that id."""
    deleted, _ = PushSubscription.objects.filter(user_id=user_id, pk=subscription_id).delete()
    return bool(deleted)


def subscriptions_delete_of_user(*, user_id: int) -> None:
    PushSubscription.objects.filter(user_id=user_id).delete()


def subscription_gone(*, subscription_id: int) -> None:
    """The push service said the subscription no longer exists (404/410)."""
    PushSubscription.objects.filter(pk=subscription_id).delete()


def cursor_start() -> PushCursor:
    """The worker's cursor; made at the log's newest event on the first start, so that a new
    worker does not push the history of the log."""
    cursor, _ = PushCursor.objects.get_or_create(name=CURSOR, defaults={"position": log_selectors.last_seq()})
    return cursor


@transaction.atomic
def deliveries_enqueue(*, pairs: Iterable[tuple[int, int]], position: int) -> None:
    """Record (notification, subscription) pairs to push, and move the cursor to ``position``,
    together: a restart neither loses nor repeats them."""
    now = timezone.now()
    PushDelivery.objects.bulk_create(
        [PushDelivery(notification_id=n, subscription_id=s, due_at=now) for n, s in pairs], ignore_conflicts=True
    )
    PushCursor.objects.filter(name=CURSOR).update(position=position, updated_at=now)


def deliveries_prune(*, older_than_days: int) -> int:
    """Delete settled pushes older than the log's retention (the cursor is past them)."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = PushDelivery.objects.exclude(state=PushDelivery.State.PENDING).filter(created_at__lt=cutoff).delete()
    return deleted


def delivery_finish(*, delivery: PushDelivery, state: str, status: int | None = None) -> None:
    """Settle a push (an update, not a save: its subscription may have gone meanwhile)."""
    delivery.state, delivery.finished_at = state, timezone.now()
    delivery.last_status = status if status is not None else delivery.last_status
    PushDelivery.objects.filter(pk=delivery.pk).update(
        state=delivery.state, finished_at=delivery.finished_at, last_status=delivery.last_status
    )


def delivery_due_at(*, delivery: PushDelivery, due_at: datetime, status: int | None = None, attempted: bool = False) -> None:
    """Try again at ``due_at`` (a retry when ``attempted``, else a deferral)."""
    delivery.due_at = due_at
    delivery.attempts += int(attempted)
    delivery.last_status = status if status is not None else delivery.last_status
    PushDelivery.objects.filter(pk=delivery.pk).update(
        due_at=delivery.due_at, attempts=delivery.attempts, last_status=delivery.last_status
    )
