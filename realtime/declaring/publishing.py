"""The one way events enter the system: a change (or an explicit call) becomes an event in the
log, inside the caller's transaction, and is published after that transaction commits.

A change inside a savepoint that is rolled back takes its events with it (they are rows of the
same transaction) and its on-commit hook too, so it publishes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.db import models, transaction
from django.db.models.signals import post_delete, post_init, post_save, pre_delete

from realtime.log import event_log, messages, selectors
from realtime.delivery import transport
from realtime.conf import setting
from realtime.models import Event, Notification
from realtime.declaring.registry import Access, Publication, registry

logger = logging.getLogger(__name__)

PREVIOUS_ATTR = "_realtime_previous"
CLEARED_ATTR = "_realtime_cleared"  # on a row being deleted: the published rows it clears


# --- entry points ----------------------------------------------------------------------------
def publish_change(instance: models.Model, action: str, *, update_fields: Iterable[str] | None = None) -> Event | None:
    """Record a create/update/delete of a published model and everything it notifies."""
    publication = registry().for_model(type(instance))
    if publication is None:
        return None
    if update_fields and set(update_fields) <= publication.ignored_update_fields:
        return None
    data = publication.represent(instance)
    event = record_update(publication, action, data, audience=publication.audience(instance))
    previous = getattr(instance, PREVIOUS_ATTR, {})
    for notice in publication.notify(instance, action, previous):
        record_notification(notice.user_id, notice.notification_type, notice.data, replaces=notice.replaces)
    remember_tracked(instance)
    return event


def publish_instances(instances: Iterable[models.Model], action: str = "updated") -> int:
    """Publish for changes that sent no signal: ``QuerySet.update()`` and ``bulk_create()``.

    ``Book.objects.filter(...).update(...)`` then ``publish_instances(Book.objects.filter(...))``.
    """
    count = 0
    for instance in instances:
        count += publish_change(instance, action) is not None
    return count


def publish_event(channel: str, action: str, data: Mapping[str, Any], *, audience: Iterable[int]) -> Event:
    """An event that no model change makes (a read marker moved): ``action`` is one of the
    channel's ``actions``; ``audience`` (the users besides staff who may see it) is fixed now."""
    publication = registry().for_channel(channel)
    if publication is None:
        raise ValueError(f"Unknown channel {channel!r}.")
    return record_update(publication, action, data, audience=audience)


def record_update(publication: Publication, action: str, data: Mapping[str, Any], *, audience: Iterable[int]) -> Event:
    payload = messages.realtime_update(publication.channel, action, data, extra_actions=publication.actions)
    record_id = payload["data"].get(publication.record_id_key, "")
    event = event_log.append(
        channel=publication.channel,
        payload=dict(payload),
        record_id="" if record_id is None else str(record_id),
        audience=audience,
        public=publication.access is Access.PUBLIC,
    )
    publish_on_commit()
    return event


def record_notification(
    user_id: int | str, notification_type: str, data: Mapping[str, Any], *, replaces: str | None = None
) -> Event:
    """A notification for one user: kept as a Notification row and sent on their channel.

    With ``replaces`` (a key of ``data``), an unread notification of the same user and type whose
    ``data[replaces]`` is the same is updated instead (its data, sent again under its id, to be
    delivered anew): one unread notification per conversation, not one per message."""
    # Built (and so validated) before anything is stored; the id is the row's, known once it is.
    payload = messages.notification(user_id, notification_type, data, notification_id=0)
    notification = _replaced(int(user_id), notification_type, payload["data"], replaces)
    if notification is None:
        notification = Notification.objects.create(user_id=int(user_id), type=notification_type, data=payload["data"])
    payload["notification_id"] = notification.pk
    event = event_log.append(
        channel=setting("NOTIFICATION_CHANNEL"),
        payload=dict(payload),
        record_id=str(notification.pk),
        audience=[int(user_id)],
        staff_visible=False,
    )
    publish_on_commit()
    return event


def _replaced(user_id: int, notification_type: str, data: dict[str, Any], replaces: str | None) -> Notification | None:
    if replaces is None:
        return None
    unread = Notification.objects.select_for_update().filter(
        user_id=user_id, type=notification_type, read_at__isnull=True, **{f"data__{replaces}": data.get(replaces)}
    )
    notification = unread.order_by("-id").first()
    if notification is not None:
        notification.data, notification.delivered_at, notification.acknowledged_at = data, None, None
        notification.save(update_fields=["data", "delivered_at", "acknowledged_at"])
    return notification


def publish_on_commit() -> None:
    """Publish after the current transaction commits (at once outside one).

    Each event registers a callback (``captureOnCommitCallbacks`` sees one per block that
    appends events), but the callbacks of one transaction share a batch: the first to run
    numbers and publishes every committed event, the others return at once. A batch that
    already ran (callbacks run by hand in a test's transaction) is not joined again."""
    connection = transaction.get_connection()
    batch = None
    if connection.in_atomic_block:
        for _sids, callback, _robust in connection.run_on_commit:
            if isinstance(callback, PublishAfterCommit) and not callback.batch.ran:
                batch = callback.batch
                break
    transaction.on_commit(PublishAfterCommit(batch or CommitBatch()), robust=True)


class CommitBatch:
    """The events of one transaction, published by the first of its callbacks to run."""

    __slots__ = ("ran",)

    def __init__(self) -> None:
        self.ran = False


class PublishAfterCommit:
    """The on-commit callback registered for an event."""

    __slots__ = ("batch",)

    def __init__(self, batch: CommitBatch) -> None:
        self.batch = batch

    def __call__(self) -> None:
        if self.batch.ran:
            return
        self.batch.ran = True
        publish_pending(known_pending=True)

    def __repr__(self) -> str:
        return f"<PublishAfterCommit ran={self.batch.ran}>"


def publish_pending(*, known_pending: bool = False) -> None:
    """Number what has committed and hand it to the transport. Never raises: whatever fails
    here stays in the log, and the hubs find it when they poll."""
    try:
        transport.publish(event_log.sequence_pending(known_pending=known_pending))
    except Exception:
        logger.exception("realtime: publishing failed; hubs will read the events from the log")


# --- signal receivers (one line each) --------------------------------------------------------
def _saved(
    sender: type[models.Model], instance: models.Model, created: bool, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    if not raw:
        publish_change(instance, "created" if created else "updated", update_fields=update_fields)


def _deleted(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    publish_change(instance, "deleted")


def _deleting(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    setattr(instance, CLEARED_ATTR, cleared_by_delete(instance))


def _deleted_clearing(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    publish_cleared(getattr(instance, CLEARED_ATTR, ()))


# --- deletes that change other rows in place ---------------------------------------------------
def clearing_relations() -> list[models.ForeignKey[Any, Any]]:
    """Foreign keys of published models whose target's delete changes the row in place
    (``SET_NULL``, ``SET_DEFAULT``, ``SET(...)``): Django does it with ``QuerySet.update()``,
    which sends no signal, so these rows are published "updated" by the target's delete."""
    return [
        cast("models.ForeignKey[Any, Any]", field)  # a many-to-one relation
        for publication in registry().publications
        for field in publication.model._meta.concrete_fields
        if _changed_in_place_by_delete(field)
    ]


_KEPT_ON_DELETE = {models.CASCADE, models.PROTECT, models.RESTRICT, models.DO_NOTHING}


def _changed_in_place_by_delete(field: models.Field[Any, Any]) -> bool:
    remote = field.remote_field  # set on every relation
    return bool(field.is_relation and field.many_to_one and remote is not None and remote.on_delete not in _KEPT_ON_DELETE)


def _target(field: models.ForeignKey[Any, Any]) -> type[models.Model]:
    # Resolved once the app registry is ready: a model class, never the string "self".
    return cast(type[models.Model], field.related_model)


def cleared_by_delete(instance: models.Model) -> list[tuple[type[models.Model], list[Any]]]:
    """Before ``instance`` is deleted: the published rows its delete will change in place."""
    found = []
    for field in clearing_relations():
        if isinstance(instance, _target(field)):
            pks = selectors.pks_referring_to(instance, field)
            if pks:
                found.append((field.model, pks))
    return found


def publish_cleared(cleared: Iterable[tuple[type[models.Model], list[Any]]]) -> None:
    """After the delete: publish the rows it changed, as they are now."""
    for model, pks in cleared:
        publish_instances(model._base_manager.filter(pk__in=pks))


def remember_tracked(instance: models.Model, **kwargs: Any) -> None:
    publication = registry().for_model(type(instance))
    if publication is not None and publication.track:
        values = instance.__dict__
        setattr(instance, PREVIOUS_ATTR, {name: values.get(name) for name in publication.track})


def connect_signals() -> None:
    for publication in registry().publications:
        if not publication.signals:
            continue
        uid = f"realtime:{publication.channel}"
        post_save.connect(_saved, sender=publication.model, dispatch_uid=f"{uid}:save")
        post_delete.connect(_deleted, sender=publication.model, dispatch_uid=f"{uid}:delete")
        if publication.track:
            post_init.connect(remember_tracked, sender=publication.model, dispatch_uid=f"{uid}:init")
    for target in {_target(field) for field in clearing_relations()}:
        uid = f"realtime:clears:{target._meta.label_lower}"
        pre_delete.connect(_deleting, sender=target, dispatch_uid=f"{uid}:pre")
        post_delete.connect(_deleted_clearing, sender=target, dispatch_uid=f"{uid}:post")
