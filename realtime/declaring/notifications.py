"""The notification service, for code that sends its own events.

    from realtime.declaring.notifications import notification_service
    await notification_service.send_success_notification(user_id="123", success_message="Order shipped")
    notification_service.sync.send_pet_update("updated", {...})   # from sync code

Every call stores the event in the log inside the caller's transaction, when there is one, and
publishes it after commit. ``send_<entity>_update`` exists for every row of the publications
table (``send_pet_update``, ``send_medical_record_update``, ...). The audience of an update
sent this way is staff plus the user named by ``data["user_id"]``, if any (or everyone on a
public channel).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model

from realtime.declaring import publishing
from realtime.declaring.registry import registry


def _audience_from_data(data: Mapping[str, Any]) -> list[int]:
    user_id = data.get("user_id")
    try:
        return [int(user_id)] if user_id is not None else []
    except (TypeError, ValueError):
        raise ValueError(f"data['user_id'] must be a user id, not {user_id!r}") from None


class SyncNotificationService:
    """The calls for sync code: views, admin actions, management commands, a shell."""

    def send_notification(self, user_id: int | str, notification_type: str, data: Mapping[str, Any] | None = None) -> int:
        """Store and send a notification; returns its id (the ``notification_id`` of its frame)."""
        try:
            user_pk = int(user_id)
        except (TypeError, ValueError):
            raise ValueError(f"user_id must be a user id, not {user_id!r}") from None
        if not get_user_model().objects.filter(pk=user_pk).exists():
            raise ValueError(f"There is no user {user_id!r}.")
        return int(publishing.record_notification(user_pk, notification_type, data or {}).record_id)

    def send_success_notification(self, user_id: int | str, success_message: str) -> int:
        return self.send_notification(user_id, "success", {"message": success_message})

    def send_error_notification(self, user_id: int | str, error_message: str) -> int:
        return self.send_notification(user_id, "error", {"message": error_message})

    def send_realtime_update(self, entity_type: str, action: str, data: Mapping[str, Any]) -> int:
        publication = registry().for_channel(entity_type)
        if publication is None:
            raise ValueError(f"Unknown entity_type {entity_type!r}.")
        return publishing.record_update(publication, action, data, audience=_audience_from_data(data)).pk

    def __getattr__(self, name: str) -> Callable[[str, Mapping[str, Any]], int]:
        entity = _entity_of(name)
        channel = registry().by_entity[entity].channel
        return lambda action, data: self.send_realtime_update(channel, action, data)


class NotificationService:
    """The same calls for async code; each runs its database work off the event loop."""

    def __init__(self) -> None:
        self.sync = SyncNotificationService()

    async def send_notification(self, user_id: int | str, notification_type: str, data: Mapping[str, Any] | None = None) -> int:
        return await database_sync_to_async(self.sync.send_notification)(user_id, notification_type, data)

    async def send_success_notification(self, user_id: int | str, success_message: str) -> int:
        return await database_sync_to_async(self.sync.send_success_notification)(user_id, success_message)

    async def send_error_notification(self, user_id: int | str, error_message: str) -> int:
        return await database_sync_to_async(self.sync.send_error_notification)(user_id, error_message)

    async def send_realtime_update(self, entity_type: str, action: str, data: Mapping[str, Any]) -> int:
        return await database_sync_to_async(self.sync.send_realtime_update)(entity_type, action, data)

    def __getattr__(self, name: str) -> Callable[[str, Mapping[str, Any]], Any]:
        sync_call = getattr(self.sync, name)  # AttributeError for names that are not send_<entity>_update

        async def send(action: str, data: Mapping[str, Any]) -> int:
            sent: int = await database_sync_to_async(sync_call)(action, data)
            return sent

        return send


def _entity_of(name: str) -> str:
    if name.startswith("send_") and name.endswith("_update"):
        entity = name[len("send_") : -len("_update")]
        if entity in registry().by_entity:
            return entity
    raise AttributeError(name)


notification_service = NotificationService()
