"""Reads: which records a user may see, as ``petland.domain`` declares it."""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db import models

from petland import domain
from petland.models import User

M = TypeVar("M", bound=models.Model)


def visible_records(model: type[M], user: User | AnonymousUser) -> models.QuerySet[M]:
    """The records of ``model`` that ``user`` may see: all of them for staff and for public
    records; a customer's own (by the model's owner path), or none, for anyone else."""
    declared = domain.record(model)
    records = model._default_manager.select_related(*declared.related)
    if declared.read is domain.Level.PUBLIC or (user.is_authenticated and user.is_staff):
        return records.all()
    if not user.is_authenticated or declared.owner is None:
        return records.none()
    return records.filter(**{declared.owner: user.pk})


def user_get(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()
