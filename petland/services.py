"""Every write to PetLand's records goes through here: validated with ``full_clean()``, saved
in one transaction (with its activity-log row and real-time events), attributed to the actor.

The generic ``record_*`` services serve the plain create/update/delete of every model; the
named ones below add a rule of their own. Every one of them first asks ``authorize_write`` /
``authorize_delete`` whether its actor may make the change (the table of who may set what).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.db.models.functions import Length
from django.utils import timezone

from petland.activity import acting_as
from petland.models import Invoice, InvoiceCounter, Payment, Pet, Reservation

M = TypeVar("M", bound=models.Model)


# --- who may write what -------------------------------------------------------------------------
# One table for the API, the admin and the shell. The actor is explicit: ``None`` is the server
# itself (a shell, a command, a migration) and staff may write anything, bar the invoice numbers
# that only the server gives; anyone else is a customer, who writes only their own records, and
# of those only what the table says. Models absent from it are staff's alone.


class Forbidden(PermissionDenied):
    """A write its actor may not make; nothing was changed. ``fields`` holds each refused field
    and why; a write refused as a whole says why in ``detail``."""

    def __init__(self, *, fields: dict[str, str] | None = None, detail: str = "") -> None:
        self.fields = fields or {}
        self.detail = detail
        super().__init__(detail or "; ".join(f"{name}: {why}" for name, why in self.fields.items()))


STAFF_ONLY = "Only staff may set this field."
NOT_YOURS = "Customers act for themselves only."


def _reservation_status(old: str | None, new: str) -> str | None:
    if old is None:
        return None if new == Reservation.Status.PENDING else "A new reservation is always pending; staff confirm it."
    if new == Reservation.Status.CANCELLED and old in (Reservation.Status.PENDING, Reservation.Status.CONFIRMED):
        return None
    return "Customers may only cancel a pending or confirmed reservation; staff confirm, check in and complete."


def _payment_status(old: str | None, new: str) -> str | None:
    if old is None and new == Payment.Status.PENDING:
        return None
    return "A customer's payment is made pending; only staff record what became of it."


def _never(why: str) -> Callable[[models.Model], str]:
    return lambda instance: why


def _pet_delete(pet: models.Model) -> str | None:
    # Deleting a pet deletes its reservations, their payments and its medical records with it.
    if pet.reservations.exists() or pet.medical_records.exists():
        return "A pet with reservations or medical records is kept; staff may remove it."
    return None


@dataclass(frozen=True)
class CustomerRules:
    """What a customer may write of their own records of one model."""

    owner: str  # the field naming the customer whose record it is
    create: frozenset[str]  # the fields a customer may give a new record
    update: frozenset[str]  # the fields a customer may change
    delete: Callable[[models.Model], str | None]  # why a customer may not delete this one, or None
    status: Callable[[str | None, str], str | None] = lambda old, new: None  # (old, None if new; new) -> why not
    # The statuses in which a customer may change fields other than the status (None: any).
    changes_while: frozenset[str] | None = None
    update_refused: str = STAFF_ONLY  # what a field outside ``update`` is told


_PET = frozenset({"owner", "name", "species", "breed", "age"})
_RESERVATION = frozenset({"user", "pet", "service", "checkin_date", "checkout_date", "status"})
PAYMENTS_ARE_FINAL = "Customers cannot change a payment once made."

CUSTOMER_RULES: dict[type[models.Model], CustomerRules] = {
    Pet: CustomerRules(owner="owner", create=_PET, update=_PET, delete=_pet_delete),
    Reservation: CustomerRules(
        owner="user", create=_RESERVATION, update=_RESERVATION, status=_reservation_status,
        changes_while=frozenset({Reservation.Status.PENDING}),
        delete=_never("Customers cancel a reservation (status cancelled); only staff delete one."),
    ),
    Payment: CustomerRules(
        owner="user", create=frozenset({"reservation", "user", "amount", "method", "status"}), update=frozenset(),
        status=_payment_status, delete=_never(PAYMENTS_ARE_FINAL), update_refused=PAYMENTS_ARE_FINAL,
    ),
}
READ_ONLY_TO_CUSTOMERS = "Customers cannot write these records."


def is_customer(actor: Any) -> bool:
    """Whether the customer rules bind ``actor`` (anyone but the server itself and staff)."""
    return actor is not None and not getattr(actor, "is_staff", False)


def _value_of(field: models.Field, value: Any) -> Any:
    return value.pk if field.is_relation and isinstance(value, models.Model) else value


def _changes(model: type[models.Model], fields: dict[str, Any], instance: models.Model | None) -> dict[str, Any]:
    """The fields a write gives (new record) or changes (existing one), by field name, values as
    stored (a related record as its id)."""
    changes = {}
    for name, value in fields.items():
        field = model._meta.get_field(name)
        value = _value_of(field, value)
        if instance is None or getattr(instance, field.attname) != value:
            changes[field.name] = value
    return changes


def _owns(actor: Any, instance: models.Model, rules: CustomerRules) -> bool:
    return getattr(instance, instance._meta.get_field(rules.owner).attname) == actor.pk


def authorize_write(model: type[models.Model], *, actor: Any, fields: dict[str, Any],
                    instance: models.Model | None = None) -> None:
    """Refuses with ``Forbidden``, naming each field, a create (``instance`` None) or an update of
    ``instance`` that ``actor`` may not make. A field sent unchanged is not a change."""
    if not is_customer(actor):
        return
    rules = CUSTOMER_RULES.get(model)
    changes = _changes(model, fields, instance)
    if rules is None:
        raise Forbidden(fields=dict.fromkeys(changes, READ_ONLY_TO_CUSTOMERS), detail=READ_ONLY_TO_CUSTOMERS)
    if instance is not None and not _owns(actor, instance, rules):
        raise Forbidden(detail=NOT_YOURS)
    allowed = rules.create if instance is None else rules.update
    refused = {name: STAFF_ONLY if instance is None else rules.update_refused for name in changes if name not in allowed}
    if rules.owner in changes and changes[rules.owner] != actor.pk:
        refused[rules.owner] = NOT_YOURS
    if "status" in changes and "status" not in refused:
        why = rules.status(None if instance is None else instance.status, changes["status"])
        if why is not None:
            refused["status"] = why
    if instance is not None and rules.changes_while is not None and instance.status not in rules.changes_while:
        why = f"Customers change a {model._meta.verbose_name} only while it is {' or '.join(sorted(rules.changes_while))}."
        refused.update({name: why for name in changes if name != "status" and name not in refused})
    if refused:
        raise Forbidden(fields=refused)


def authorize_delete(instance: models.Model, *, actor: Any) -> None:
    if not is_customer(actor):
        return
    rules = CUSTOMER_RULES.get(type(instance))
    if rules is not None and not _owns(actor, instance, rules):
        raise Forbidden(detail=NOT_YOURS)
    why = READ_ONLY_TO_CUSTOMERS if rules is None else rules.delete(instance)
    if why is not None:
        raise Forbidden(detail=why)


# The field that says whose a new record is, where its writer names it (a reservation is its
# pet's owner's, a payment its reservation's: the API takes those from the pet, the reservation).
NAMED_OWNER: dict[type[models.Model], str] = {Pet: "owner", Invoice: "user"}


def _with_owner(model: type[models.Model], actor: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """A customer's new record is their own (they need not say so); staff must say whose it is."""
    name = NAMED_OWNER.get(model)
    if name is None or actor is None or fields.get(name, fields.get(f"{name}_id")) is not None:
        return fields
    if is_customer(actor):
        return {**fields, name: actor}
    raise ValidationError({name: "Staff must name the customer (a user id)."})


# --- the generic writes -------------------------------------------------------------------------
@transaction.atomic
def record_create(model: type[M], *, actor: Any, **fields: Any) -> M:
    authorize_write(model, actor=actor, fields=fields)
    instance = model(**_with_owner(model, actor, fields))
    instance.full_clean()
    with acting_as(actor):
        instance.save()
    return instance


@transaction.atomic
def record_update(instance: M, *, actor: Any, **fields: Any) -> M:
    authorize_write(type(instance), actor=actor, fields=fields, instance=instance)
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean()
    with acting_as(actor):
        instance.save()
    return instance


@transaction.atomic
def record_delete(instance: models.Model, *, actor: Any) -> None:
    authorize_delete(instance, actor=actor)
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
    authorize_write(Invoice, actor=actor, fields=fields)
    if "number" in fields:
        raise ValidationError({"number": INVOICE_NUMBER_IS_THE_SERVERS})
    if fields.get("status") == Invoice.Status.ISSUED and not fields.get("issued_at"):
        fields["issued_at"] = timezone.now()
    return record_create(Invoice, actor=actor, number=invoice_number_assign(), **fields)


def invoice_update(invoice: Invoice, *, actor: Any, **fields: Any) -> Invoice:
    authorize_write(Invoice, actor=actor, fields=fields, instance=invoice)
    if "number" in fields and fields["number"] != invoice.number:
        raise ValidationError({"number": INVOICE_NUMBER_IS_THE_SERVERS})
    if fields.get("status") == Invoice.Status.ISSUED and not (fields.get("issued_at") or invoice.issued_at):
        fields["issued_at"] = timezone.now()
    return record_update(invoice, actor=actor, **fields)


def invoice_issue(*, invoice: Invoice, actor: Any) -> Invoice:
    return invoice_update(invoice, actor=actor, status=Invoice.Status.ISSUED)
