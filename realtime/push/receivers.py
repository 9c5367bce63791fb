"""A deactivated user's subscriptions go (the worker also drops those of users it finds
inactive, for deactivations that send no signal, such as ``QuerySet.update``)."""

from __future__ import annotations

from typing import Any

from realtime.push import services


def forget_deactivated_user(sender: type, instance: Any, **kwargs: Any) -> None:
    if not instance.is_active and instance.pk is not None:
        services.subscriptions_delete_of_user(user_id=instance.pk)
