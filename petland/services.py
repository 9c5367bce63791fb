"""Every write to PetLand's records goes through here: validated with ``full_clean()``, saved
in one transaction (with its activity-log row and real-time events), attributed to the actor.

The generic ``record_*`` services serve the plain create/update/delete of every model; the
named ones below add a rule of their own. Every one of them first asks ``authorize_write`` /
``authorize_delete`` whether its actor may make the change, by the rules of ``petland.domain``.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, TypeGuard, TypeVar, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.db.models.functions import Length
from django.utils import timezone

from petland import domain
from petland.activity import acting_as
from petland.domain import NOT_YOURS, READ_ONLY_TO_CUSTOMERS, STAFF_ONLY
from petland.models import Invoice, InvoiceCounter, Reservation, User

M = TypeVar("M", bound=models.Model)


# --- who may write what -------------------------------------------------------------------------
# The rules are the domain's (``petland.domain``: each model's owner and customer rules); this
# applies them for the API, the admin and the shell. The actor is explicit: ``None`` is the server
# itself (a shell, a command, a migration) and staff may write anything, bar the invoice numbers
# that only the server gives; anyone else is a customer, who writes only their own records, and
# of those only what the rules say. Models without customer rules are staff's alone.


class Forbidden(PermissionDenied):
    """A write its actor may not make; nothing was changed. ``fields`` holds each refused field
    and why; a write refused as a whole says why in ``detail``."""

    def __init__(self, *, fields: dict[str, str] | None = None, detail: str = "") -> None:
        self.fields = fields or {}
        self.detail = detail
        super().__init__(detail or "; ".join(f"{name}: {why}" for name, why in self.fields.items()))


def is_customer(actor: User | None) -> TypeGuard[User]:
    """Whether the customer rules bind ``actor`` (anyone but the server itself and staff)."""
    return actor is not None and not getattr(actor, "is_staff", False)


def _value_of(field: models.Field[Any, Any], value: Any) -> Any:
    return value.pk if field.is_relation and isinstance(value, models.Model) else value


def _changes(model: type[models.Model], fields: dict[str, Any], instance: models.Model | None) -> dict[str, Any]:
    """The fields a write gives (new record) or changes (existing one), by field name, values as
    stored (a related record as its id)."""
    changes = {}
    for name, value in fields.items():
        field = cast("models.Field[Any, Any]", model._meta.get_field(name))  # a write names the model's own fields
        value = _value_of(field, value)
        if instance is None or getattr(instance, field.attname) != value:
            changes[field.name] = value
    return changes


class _WithStatus(Protocol):
    status: str


def _status_of(instance: models.Model) -> str:
    # Asked only of models whose customer rules govern a status (``status``, ``changes_while``).
    return cast(_WithStatus, instance).status


def _owns(actor: User, instance: models.Model) -> bool:
    return actor.pk in domain.record(type(instance)).owner_ids(instance)


def authorize_write(
    model: type[models.Model], *, actor: User | None, fields: dict[str, Any], instance: models.Model | None = None
) -> None:
    """Refuses with ``Forbidden``, naming each field, a create (``instance`` None) or an update of
    ``instance`` that ``actor`` may not make. A field sent unchanged is not a change."""
    if not is_customer(actor):
        return
    declared = domain.record(model)
    rules, owner = declared.customer_rules, declared.owner_field
    changes = _changes(model, fields, instance)
    if rules is None or owner is None:
        raise Forbidden(fields=dict.fromkeys(changes, READ_ONLY_TO_CUSTOMERS), detail=READ_ONLY_TO_CUSTOMERS)
    if instance is not None and not _owns(actor, instance):
        raise Forbidden(detail=NOT_YOURS)
    allowed = rules.create if instance is None else rules.update
    refused = {name: STAFF_ONLY if instance is None else rules.update_refused for name in changes if name not in allowed}
    if owner in changes and changes[owner] != actor.pk:
        refused[owner] = NOT_YOURS
    if "status" in changes and "status" not in refused:
        why = rules.status(None if instance is None else _status_of(instance), changes["status"])
        if why is not None:
            refused["status"] = why
    if instance is not None and rules.changes_while is not None and _status_of(instance) not in rules.changes_while:
        why = f"Customers change a {model._meta.verbose_name} only while it is {' or '.join(sorted(rules.changes_while))}."
        refused.update({name: why for name in changes if name != "status" and name not in refused})
    if refused:
        raise Forbidden(fields=refused)


def authorize_delete(instance: models.Model, *, actor: User | None) -> None:
    if not is_customer(actor):
        return
    rules = domain.record(type(instance)).customer_rules
    if rules is not None and not _owns(actor, instance):
        raise Forbidden(detail=NOT_YOURS)
    why = READ_ONLY_TO_CUSTOMERS if rules is None else rules.delete(instance)
    if why is not None:
        raise Forbidden(detail=why)


def _with_owner(model: type[models.Model], actor: User | None, fields: dict[str, Any]) -> dict[str, Any]:
    """A customer's new record is their own (they need not say so); staff must say whose it is,
    where the writer names the owner (``names_owner`` in the domain; a reservation is its pet's
    owner's, a payment its reservation's: the API takes those from the pet, the reservation)."""
    declared = domain.record(model)
    name = declared.owner_field if declared.names_owner else None
    if name is None or actor is None or fields.get(name, fields.get(f"{name}_id")) is not None:
        return fields
    if is_customer(actor):
        return {**fields, name: actor}
    raise ValidationError({name: "Staff must name the customer (a user id)."})


# --- the generic writes -------------------------------------------------------------------------
@transaction.atomic
def record_create(model: type[M], *, actor: User | None, **fields: Any) -> M:
    authorize_write(model, actor=actor, fields=fields)
    instance = model(**_with_owner(model, actor, fields))
    instance.full_clean()
    with acting_as(actor):
        instance.save()
    return instance


@transaction.atomic
def record_update(instance: M, *, actor: User | None, **fields: Any) -> M:
    authorize_write(type(instance), actor=actor, fields=fields, instance=instance)
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean()
    with acting_as(actor):
        instance.save()
    return instance


@transaction.atomic
def record_delete(instance: models.Model, *, actor: User | None) -> None:
    authorize_delete(instance, actor=actor)
    with acting_as(actor):
        instance.delete()


def reservation_set_status(*, reservation: Reservation, status: str, actor: User | None) -> Reservation:
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
def invoice_create(*, actor: User | None, **fields: Any) -> Invoice:
    """An invoice, numbered by the server: the year's next number. Nobody, staff included,
    chooses a number, so that nobody can take or break another customer's."""
    authorize_write(Invoice, actor=actor, fields=fields)
    if "number" in fields:
        raise ValidationError({"number": INVOICE_NUMBER_IS_THE_SERVERS})
    if fields.get("status") == Invoice.Status.ISSUED and not fields.get("issued_at"):
        fields["issued_at"] = timezone.now()
    return record_create(Invoice, actor=actor, number=invoice_number_assign(), **fields)


def invoice_update(invoice: Invoice, *, actor: User | None, **fields: Any) -> Invoice:
    authorize_write(Invoice, actor=actor, fields=fields, instance=invoice)
    if "number" in fields and fields["number"] != invoice.number:
        raise ValidationError({"number": INVOICE_NUMBER_IS_THE_SERVERS})
    if fields.get("status") == Invoice.Status.ISSUED and not (fields.get("issued_at") or invoice.issued_at):
        fields["issued_at"] = timezone.now()
    return record_update(invoice, actor=actor, **fields)


def invoice_issue(*, invoice: Invoice, actor: User | None) -> Invoice:
    return invoice_update(invoice, actor=actor, status=Invoice.Status.ISSUED)
