"""The push worker (``manage.py push_worker``): follows the event log's stored notifications
from a cursor kept in the database, and pushes each to the subscriptions of its user when the
user has had no open socket for ``WEBPUSH_IDLE_SECONDS`` and the notification is still
unread and was never received on a socket, re-checked just before sending.

Each (notification, subscription) pair is a ``PushDelivery`` row, made in the transaction that
moves the cursor and finished once sent: a restart resumes where it stopped and sends nothing
recorded as sent again (a crash between a push and its record sends that one again:
at-least-once). Answers: 2xx done; 404/410 the subscription is deleted; 413 sent again
shortened; 429, 5xx and network errors retried with backoff (at least Retry-After) for at most
an hour; any other answer is final.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import defaultdict, deque
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import close_old_connections
from django.utils import timezone

from realtime.conf import setting
from realtime.delivery import online
from realtime.log import selectors as log_selectors
from realtime.models import Event, Notification, PushCursor, PushDelivery, PushSubscription
from realtime.observability import format_fields
from realtime.push import content, endpoints, metrics, services
from realtime.push.selectors import CURSOR
from realtime.push.sender import PushRequest, PushResult, PushSender

logger = logging.getLogger("realtime.push")

BATCH = 200  # events read, or pushes taken, at a time
RETRY_WINDOW = timedelta(hours=1)  # how long a push is retried
MAX_BACKOFF_SECONDS = 600.0
PRUNE_SECONDS = 3600.0  # how often settled pushes older than the log's retention are deleted
State = PushDelivery.State


def backoff_seconds(attempts: int) -> float:
    """2, 4, 8, … seconds after the first, second, third … failed attempt, at most 10 minutes."""
    return min(MAX_BACKOFF_SECONDS, 2.0**attempts)


class PushWorker:
    """``concurrency`` pushes are in flight at once (a push service answers in tens of
    milliseconds); the database is written from the calling thread only, in order."""

    def __init__(self, sender: PushSender, *, concurrency: int | None = None) -> None:
        self.sender = sender
        self.concurrency = concurrency or setting("WEBPUSH_CONCURRENCY")
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="push-send")
        self._flight: deque[tuple[PushDelivery, Future[tuple[PushResult, bool]]]] = deque()

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def start(self) -> PushCursor:
        return services.cursor_start()

    # --- following the log ------------------------------------------------------------------
    def follow(self) -> int:
        """Read the next notifications after the cursor and record what to push for them;
        returns how many events were read."""
        position = PushCursor.objects.get(name=CURSOR).position
        newest = log_selectors.last_seq()  # every event numbered up to here is committed
        events = list(
            Event.objects.filter(
                seq__gt=position, seq__lte=newest, channel=setting("NOTIFICATION_CHANNEL"), type=Event.Type.NOTIFICATION
            )
            .order_by("seq")
            .values_list("seq", "record_id")[:BATCH]
        )
        last_read = events[-1][0] if events else None  # never None: seq > position was asked for
        upto = last_read if len(events) == BATCH and last_read is not None else newest
        pairs = self._pairs([int(record_id) for _, record_id in events])
        if upto != position or pairs:
            services.deliveries_enqueue(pairs=pairs, position=upto)
        metrics.LAG.set(max(0, log_selectors.last_seq() - upto))
        return len(events)

    @staticmethod
    def _pairs(notification_ids: list[int]) -> list[tuple[int, int]]:
        """(notification, subscription) for each notification not yet read or received."""
        if not notification_ids:
            return []
        users = dict(
            Notification.objects.filter(pk__in=notification_ids, read_at__isnull=True, delivered_at__isnull=True).values_list(
                "pk", "user_id"
            )
        )
        subscriptions: defaultdict[int, list[int]] = defaultdict(list)
        for pk, user_id in PushSubscription.objects.filter(user_id__in=set(users.values())).values_list("pk", "user_id"):
            subscriptions[user_id].append(pk)
        return [(n, s) for n in notification_ids if n in users for s in subscriptions[users[n]]]

    # --- sending ----------------------------------------------------------------------------
    def send_due(self) -> int:
        """Try the pushes that are due, oldest first; returns how many were tried or settled."""
        now = timezone.now()
        due = list(
            PushDelivery.objects.filter(state=State.PENDING, due_at__lte=now)
            .select_related("notification", "subscription")
            .order_by("due_at", "id")[:BATCH]
        )
        if not due:
            metrics.PENDING.set(PushDelivery.objects.filter(state=State.PENDING).count())
            return 0
        by_notification: defaultdict[int, list[PushDelivery]] = defaultdict(list)
        for delivery in due:
            by_notification[delivery.notification_id].append(delivery)
        away = online.away_since({delivery.notification.user_id for delivery in due})
        active = _active_users({delivery.notification.user_id for delivery in due})
        idle = float(setting("WEBPUSH_IDLE_SECONDS"))
        for deliveries in by_notification.values():
            self._settle(deliveries, away, active, idle)
        while self._flight:
            self._record(*self._flight.popleft())
        metrics.PENDING.set(PushDelivery.objects.filter(state=State.PENDING).count())
        return len(due)

    def _settle(self, deliveries: list[PushDelivery], away: dict[int, float | None], active: set[int], idle: float) -> None:
        notification = deliveries[0].notification
        user_id = notification.user_id
        if user_id not in active:
            services.subscriptions_delete_of_user(user_id=user_id)
            return
        since = away.get(user_id, 0.0)
        if since is None:
            return self._skip(deliveries, "skipped_online")
        back_at = since + idle
        if back_at > time.time():
            for delivery in deliveries:
                services.delivery_due_at(delivery=delivery, due_at=_at(back_at))
            metrics.OUTCOMES.labels("deferred").inc(len(deliveries))
            return
        # The re-check just before sending: read elsewhere, or received by a socket meanwhile.
        fresh = Notification.objects.filter(pk=notification.pk).values_list("read_at", "delivered_at").first()
        if fresh is None or fresh != (None, None):
            return self._skip(deliveries, "skipped_read")
        what = content.content_for(notification)
        for delivery in deliveries:
            self._push(delivery, notification, what)

    def _skip(self, deliveries: list[PushDelivery], outcome: str) -> None:
        for delivery in deliveries:
            services.delivery_finish(delivery=delivery, state=State.SKIPPED)
        metrics.OUTCOMES.labels(outcome).inc(len(deliveries))

    def _push(self, delivery: PushDelivery, notification: Notification, what: content.PushContent) -> None:
        subscription = delivery.subscription
        request = PushRequest(
            endpoint=subscription.endpoint,
            p256dh=subscription.p256dh,
            auth=subscription.auth,
            payload=content.payload(notification, what),
            urgency=content.urgency(what),
            topic=content.topic(what),
        )
        short = dataclasses.replace(request, payload=content.payload(notification, what, short=True))
        # One push at a time per subscription, in order: a newer chat message with the same
        # Topic must reach the push service after the older one it replaces.
        while any(waiting.subscription_id == delivery.subscription_id for waiting, _ in self._flight):
            self._record(*self._flight.popleft())
        self._flight.append((delivery, self._pool.submit(self._send, request, short)))
        # A bounded pipeline: the re-check of each notification stays close to its send.
        if len(self._flight) >= 2 * self.concurrency:
            self._record(*self._flight.popleft())

    def _send(self, request: PushRequest, short: PushRequest) -> tuple[PushResult, bool]:
        """In a pool thread: the push, and once more shortened after a 413."""
        result = self.sender.send(request)
        if result.status == 413:
            return self.sender.send(short), True
        return result, False

    def _record(self, delivery: PushDelivery, sending: Future[tuple[PushResult, bool]]) -> None:
        result, shortened = sending.result()
        if shortened:
            self._log(delivery, "shortened", PushResult(413))
            metrics.OUTCOMES.labels("shortened").inc()
        status = result.status
        if status is not None and 200 <= status < 300:
            outcome = "sent"
            services.delivery_finish(delivery=delivery, state=State.SENT, status=status)
        elif status in (404, 410):
            outcome = "gone"
            services.subscription_gone(subscription_id=delivery.subscription_id)
        elif status is None or status == 429 or status >= 500:
            outcome = self._retry(delivery, result)
        else:
            outcome = "refused"
            services.delivery_finish(delivery=delivery, state=State.FAILED, status=status)
        metrics.OUTCOMES.labels(outcome).inc()
        self._log(delivery, outcome, result)

    def _retry(self, delivery: PushDelivery, result: PushResult) -> str:
        delay = max(result.retry_after or 0.0, backoff_seconds(delivery.attempts + 1))
        due_at = timezone.now() + timedelta(seconds=delay)
        if due_at - delivery.created_at > RETRY_WINDOW:
            services.delivery_finish(delivery=delivery, state=State.FAILED, status=result.status)
            return "gave_up"
        services.delivery_due_at(delivery=delivery, due_at=due_at, status=result.status, attempted=True)
        return "retry"

    def _log(self, delivery: PushDelivery, outcome: str, result: PushResult) -> None:
        level = logging.INFO if outcome in ("sent", "shortened") else logging.WARNING
        fields = {
            "event": "push",
            "outcome": outcome,
            "status": result.status,
            "error": result.error or None,
            "notification": delivery.notification_id,
            "subscription": delivery.subscription_id,
            "user": delivery.notification.user_id,
            "endpoint": endpoints.loggable(delivery.subscription.endpoint),
            "attempts": delivery.attempts,
        }
        logger.log(level, format_fields({key: value for key, value in fields.items() if value is not None}))

    # --- running ----------------------------------------------------------------------------
    def run_until_idle(self) -> None:
        """Read and push until nothing is left that is due now (deferred pushes wait)."""
        self.start()
        while self.follow() + self.send_due():
            pass

    def run_forever(self, *, interval: float, stop: threading.Event) -> None:
        self.start()
        pruned_at = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() - pruned_at > PRUNE_SECONDS:
                    services.deliveries_prune(older_than_days=setting("EVENT_RETENTION_DAYS"))
                    pruned_at = time.monotonic()
                busy = self.follow() + self.send_due()
            except Exception:
                logger.exception("push worker failed a round; trying again")
                busy = 0
                close_old_connections()
            if not busy:
                stop.wait(interval)


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.get_current_timezone())


def _active_users(user_ids: set[int]) -> set[int]:
    return set(get_user_model().objects.filter(pk__in=user_ids, is_active=True).values_list("pk", flat=True))
