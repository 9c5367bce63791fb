"""Every write to PetLand's records goes through here: validated with ``full_clean()``, saved
in one transaction (with its activity-log row and real-time events), attributed to the actor.

The generic ``record_*`` services serve the plain create/update/delete of every model; the
named ones below add a rule of their own.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Length
from django.utils import timezone

from petland.activity import acting_as
from petland.models import Invoice, Reservation

M = TypeVar("M", bound=models.Model)


@transaction.atomic
def record_create(model: type[M], *, actor: Any, **fields: Any) -> M:
    instance = model(**fields)
    instance.full_clean()
    with acting_as(actor):
        instance.save()
    return instance


@transaction.atomic
def record_update(instance: M, *, actor: Any, **fields: Any) -> M:
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean()
    with acting_as(actor):
        instance.save()
    return instance


@transaction.atomic
def record_delete(instance: models.Model, *, actor: Any) -> None:
    with acting_as(actor):
        instance.delete()


def reservation_set_status(*, reservation: Reservation, status: str, actor: Any) -> Reservation:
    return record_update(reservation, actor=actor, status=status)


def invoice_next_number() -> str:
    """The year's next ``INV-<year>-<sequence>``. Numbers typed by hand that do not end in a
    sequence (``INV-2026-CREDIT``) are not part of it."""
    year = timezone.now().year
    prefix = f"INV-{year}-"
    last = (
        Invoice.objects.filter(number__regex=rf"^{re.escape(prefix)}[0-9]+$")
        .order_by(Length("number").desc(), "-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{sequence:06d}"


INVOICE_NUMBER_ATTEMPTS = 5


@transaction.atomic
def invoice_create(*, actor: Any, **fields: Any) -> Invoice:
    """An invoice; without a ``number``, the year's next one. Two invoices created at the same
    moment can both be given the same next number: the one that loses the race takes the
    following number instead of failing (a number typed by hand is never changed)."""
    if fields.get("status") == Invoice.Status.ISSUED and not fields.get("issued_at"):
        fields["issued_at"] = timezone.now()
    if "number" in fields:  # given, even blank: validated as given
        return record_create(Invoice, actor=actor, **fields)
    attempt = 1
    while True:
        number = invoice_next_number()
        try:
            with transaction.atomic():  # a savepoint: a lost race undoes only this attempt
                return record_create(Invoice, actor=actor, **{**fields, "number": number})
        except (IntegrityError, ValidationError):
            if attempt == INVOICE_NUMBER_ATTEMPTS or not Invoice.objects.filter(number=number).exists():
                raise  # not the number (or still losing): the caller sees the error
        attempt += 1


def invoice_update(invoice: Invoice, *, actor: Any, **fields: Any) -> Invoice:
    if fields.get("status") == Invoice.Status.ISSUED and not (fields.get("issued_at") or invoice.issued_at):
        fields["issued_at"] = timezone.now()
    return record_update(invoice, actor=actor, **fields)


def invoice_issue(*, invoice: Invoice, actor: Any) -> Invoice:
    return invoice_update(invoice, actor=actor, status=Invoice.Status.ISSUED)
