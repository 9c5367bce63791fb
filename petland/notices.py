"""The notifications a change sends to the record's owner, on their ``users`` channel."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from petland import models
from realtime import Notice


def _status_changed(action: str, instance: Any, previous: Mapping[str, Any]) -> bool:
    return action == "created" or (action == "updated" and previous.get("status") != instance.status)


def pet(instance: models.Pet, action: str, previous: Mapping[str, Any]) -> Iterable[Notice]:
    if action == "created":
        yield Notice(instance.owner_id, "pet_created", {"pet_name": instance.name, "pet_id": instance.pk})


def reservation(instance: models.Reservation, action: str, previous: Mapping[str, Any]) -> Iterable[Notice]:
    if _status_changed(action, instance, previous):
        yield Notice(
            instance.user_id,
            f"reservation_{instance.status}",
            {"reservation_id": instance.pk, "pet_id": instance.pet_id, "status": instance.status},
        )


def payment(instance: models.Payment, action: str, previous: Mapping[str, Any]) -> Iterable[Notice]:
    if _status_changed(action, instance, previous):
        yield Notice(
            instance.user_id,
            f"payment_{instance.status}",
            {"payment_id": instance.pk, "amount": str(instance.amount), "status": instance.status},
        )


def invoice(instance: models.Invoice, action: str, previous: Mapping[str, Any]) -> Iterable[Notice]:
    became_issued = instance.status == models.Invoice.Status.ISSUED and (
        action == "created" or (action == "updated" and previous.get("status") != instance.status)
    )
    if became_issued:
        yield Notice(
            instance.user_id,
            "invoice_issued",
            {"invoice_id": instance.pk, "number": instance.number, "total": str(instance.total)},
        )


def medical_record(instance: models.MedicalRecord, action: str, previous: Mapping[str, Any]) -> Iterable[Notice]:
    if action == "created":
        yield Notice(
            instance.pet.owner_id,
            "medical_record_added",
            {"medical_record_id": instance.pk, "pet_id": instance.pet_id, "pet_name": instance.pet.name},
        )
