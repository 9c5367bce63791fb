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
from django.db.models import F
from django.db.models.functions import Length
from django.utils import timezone

from petland.activity import acting_as
from petland.models import Invoice, InvoiceCounter, Reservation

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


INVOICE_NUMBER_IS_THE_SERVERS = "Invoice numbers are given by the server."

# Numbers stored before the counter existed are read once, when a year's counter is made, and
# only if their sequence is one the counter could have given: a hand-typed INV-<year>- plus 23
# nines is not taken for the last number of the year.
LEGACY_SEQUENCE_DIGITS = (6, 9)


def _invoice_number(year: int, sequence: int) -> str:
    return f"INV-{year}-{sequence:06d}"


def _legacy_last_sequence(year: int) -> int:
    prefix = f"INV-{year}-"
    shortest, longest = LEGACY_SEQUENCE_DIGITS
    last = (
        Invoice.objects.filter(number__regex=rf"^{re.escape(prefix)}[0-9]{{{shortest},{longest}}}$")
        .order_by(Length("number").desc(), "-number")
        .values_list("number", flat=True)
        .first()
    )
    return int(last.removeprefix(prefix)) if last else 0


def _invoice_sequence_next(year: int) -> int:
    """The year's next sequence number, its counter row locked until the caller's transaction
    ends: a concurrent creation waits for it, then takes the following number."""
    while True:
        if InvoiceCounter.objects.filter(year=year).update(last=F("last") + 1):
            return InvoiceCounter.objects.values_list("last", flat=True).get(year=year)
        try:
            with transaction.atomic():  # a savepoint: losing the race to make the row undoes only this
                return InvoiceCounter.objects.create(year=year, last=_legacy_last_sequence(year) + 1).last
        except IntegrityError:
            continue  # another transaction made the year's counter first: take a number from it


def invoice_number_assign() -> str:
    """The year's next ``INV-<year>-<sequence>``, from the year's counter. Must run inside the
    transaction that saves the invoice. A number an invoice already holds (typed by hand before
    numbers were the server's) is passed over."""
    year = timezone.now().year
    while True:
        number = _invoice_number(year, _invoice_sequence_next(year))
        if not Invoice.objects.filter(number=number).exists():
            return number


@transaction.atomic
def invoice_create(*, actor: Any, **fields: Any) -> Invoice:
    """An invoice, numbered by the server: the year's next number. Nobody, staff included,
    chooses a number, so that nobody can take or break another customer's."""
    if "number" in fields:
        raise ValidationError({"number": INVOICE_NUMBER_IS_THE_SERVERS})
    if fields.get("status") == Invoice.Status.ISSUED and not fields.get("issued_at"):
        fields["issued_at"] = timezone.now()
    return record_create(Invoice, actor=actor, number=invoice_number_assign(), **fields)


def invoice_update(invoice: Invoice, *, actor: Any, **fields: Any) -> Invoice:
    if "number" in fields and fields["number"] != invoice.number:
        raise ValidationError({"number": INVOICE_NUMBER_IS_THE_SERVERS})
    if fields.get("status") == Invoice.Status.ISSUED and not (fields.get("issued_at") or invoice.issued_at):
        fields["issued_at"] = timezone.now()
    return record_update(invoice, actor=actor, **fields)


def invoice_issue(*, invoice: Invoice, actor: Any) -> Invoice:
    return invoice_update(invoice, actor=actor, status=Invoice.Status.ISSUED)
