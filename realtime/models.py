"""The event log: every event published to clients, stored in the transaction of the change
that caused it, and numbered after commit in the order it is published."""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from django.db import models


class Event(models.Model):
    """One published message. ``seq`` is the client-visible ``event_id``: NULL until the
    sequencer numbers the event after its transaction commits (see ``realtime.log.event_log``)."""

    class Type(models.TextChoices):
        REALTIME_UPDATE = "realtime_update"
        NOTIFICATION = "notification"

    seq = models.BigIntegerField(null=True, unique=True)
    channel = models.CharField(max_length=50)
    type = models.CharField(max_length=20, choices=Type.choices)
    record_id = models.CharField(max_length=64, blank=True)
    audience = models.JSONField(default=list, help_text="Ids of users besides staff who may see it")
    public = models.BooleanField(default=False)
    staff_visible = models.BooleanField(default=True, help_text="False for a notification: it is for its user only, staff or not")
    body = models.TextField(help_text="The client message as JSON text, without event_id")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["channel", "seq"]),
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="realtime_event_unsequenced"),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.seq} on {self.channel}"

    @property
    def payload(self) -> dict[str, Any]:
        """The client message, without event_id. Stored as text so that its keys keep their
        order (jsonb would sort them) and the frame needs no re-encoding."""
        payload: dict[str, Any] = orjson.loads(self.body)
        return payload


class EventCounter(models.Model):
    """A single row holding the last ``seq`` handed out. Locking it serialises numbering, so
    numbers become visible in the order they were given."""

    last_seq = models.BigIntegerField(default=0)


class Notification(models.Model):
    """A notification kept for its user, whether or not they were online to receive it. Its
    event is the ``notification`` Event whose ``record_id`` is this row's id."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    type = models.CharField(max_length=50)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="When a socket of the user first received it")
    acknowledged_at = models.DateTimeField(
        null=True, blank=True, help_text="When a client of the user confirmed it (ack); until then every new socket gets it"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.type} for {self.user_id}"


class SocketTicket(models.Model):
    """A one-time credential for one WebSocket handshake (``ws/<channel>/?ticket=…``), so that
    no long-lived token is written into URLs that proxies and servers log. Stored in the
    database, where every server process sees it; only its digest is kept, so a copy of the
    table opens no socket."""

    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the ticket, hex")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"socket ticket for {self.user_id}"


class Deployment(models.Model):
    """The one row naming this deployment: a random identity made at its first migrate. Batches
    on the channel layer carry it, and hubs drop batches of other deployments that share the
    Redis server (Redis pub/sub ignores the database number: docs/deployment.md)."""

    identity = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"deployment {self.identity}"


class IntegrationKey(models.Model):
    """A credential for a back-office integration reading the change feed (``/api/events/``),
    sent as ``Authorization: Api-Key <key>``. Only the SHA-256 of the key is stored: the key is
    shown once, when it is made (``realtime.feed.keys``), and a copy of the table opens nothing."""

    name = models.CharField(max_length=100, help_text="Who uses it, e.g. 'accounting mirror'")
    channels = models.JSONField(default=list, help_text="The channels it may read")
    prefix = models.CharField(max_length=12, editable=False, help_text="The key's first characters, to recognise it")
    digest = models.CharField(max_length=64, unique=True, editable=False, help_text="SHA-256 of the key, hex")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, help_text="Set to revoke: the key is refused from then on")

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class PushSubscription(models.Model):
    """A browser's Web Push subscription (``PushSubscription.toJSON()``) for one user. The
    endpoint is a capability URL of the push service: whoever knows it can push to that browser,
    so it is never logged whole (``realtime.push.endpoints.loggable``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    endpoint = models.CharField(max_length=1024)
    p256dh = models.CharField(max_length=100, help_text="The browser's P-256 public key, base64url")
    auth = models.CharField(max_length=40, help_text="The browser's 16-byte authentication secret, base64url")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "endpoint"], name="realtime_push_subscription_once")]

    def __str__(self) -> str:
        return f"push subscription {self.pk} of {self.user_id}"


class PushCursor(models.Model):
    """How far a push worker has read the event log: a restart resumes after ``position``."""

    name = models.CharField(max_length=50, unique=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} at event {self.position}"


class PushDelivery(models.Model):
    """One notification for one subscription: made when the worker reads the notification,
    finished once sent (or skipped, or given up). Never two for one pair, so nothing is
    pushed twice."""

    class State(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        SKIPPED = "skipped"  # read, or received on a socket, before it was its turn
        FAILED = "failed"  # refused for good, or retried for too long

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(PushSubscription, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    due_at = models.DateTimeField(help_text="Not to be tried before this")
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The push service's last answer")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notification", "subscription"], name="realtime_push_delivery_once")]
        indexes = [models.Index(fields=["due_at"], condition=models.Q(state="pending"), name="realtime_push_due")]

    def __str__(self) -> str:
        return f"push of notification {self.notification_id} to subscription {self.subscription_id}: {self.state}"
