"""Reads: which records a user may see."""

from __future__ import annotations

from typing import Any

from django.db import models

from petland.models import ActivityLog, Employee, Invoice, MedicalRecord, Payment, Pet, Reservation, Service, User

# How a customer's ownership of a record is found (a customer's own account is the one user they
# see); models absent from here are staff-only, except services, which everyone may read.
OWNER_LOOKUP: dict[type[models.Model], str] = {
    User: "pk",
    Pet: "owner",
    Reservation: "user",
    Payment: "user",
    Invoice: "user",
    MedicalRecord: "pet__owner",
}

RELATED: dict[type[models.Model], tuple[str, ...]] = {
    Pet: ("owner",),
    Reservation: ("user", "pet", "service"),
    Payment: ("user", "reservation"),
    Invoice: ("user", "reservation"),
    MedicalRecord: ("pet", "veterinarian__user"),
    Employee: ("user",),
    ActivityLog: ("actor",),
}


def visible_records(model: type[models.Model], user: Any) -> models.QuerySet:
    records = model.objects.select_related(*RELATED.get(model, ()))
    if model is Service or (user.is_authenticated and user.is_staff):
        return records.all()
    if not user.is_authenticated or model not in OWNER_LOOKUP:
        return records.none()
    return records.filter(**{OWNER_LOOKUP[model]: user.pk})


def user_get(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()
