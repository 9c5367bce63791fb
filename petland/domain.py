"""PetLand's domain, declared once: for each model, whose a record is and who may read and write it.

Everything that decides who sees or changes what is derived from ``DOMAIN``, never restated:

- the API's querysets and the related ids a write may name: ``selectors.visible_records``;
- the API's permission levels: ``api.permissions.RecordAccess`` reads the row of its view's model;
- the publications' channel access and audiences: ``petland.publications``;
- the models the activity log follows: ``apps.PetlandConfig.ready``;
- what a customer may write of their own records: ``services.authorize_write`` and
  ``authorize_delete`` apply the row's ``customer_rules``.

``tests/petland/test_domain.py`` checks each of them against this table.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import models

from petland.models import (
    ActivityLog,
    ChatReadMarker,
    Employee,
    Invoice,
    InvoiceCounter,
    MedicalRecord,
    Message,
    Payment,
    Pet,
    Reservation,
    Service,
    User,
)


class Level(enum.StrEnum):
    """Who may read, or write, a model's records."""

    PUBLIC = "public"  # anyone, signed in or not
    CUSTOMER = "customer"  # any signed-in user: a customer their own records (reads by the owner path,
    #                        writes by the customer rules), staff all of them
    STAFF = "staff"  # staff only: a customer is refused before any record is looked up


# --- what a customer may write ------------------------------------------------------------------
STAFF_ONLY = "Only staff may set this field."
NOT_YOURS = "Customers act for themselves only."
READ_ONLY_TO_CUSTOMERS = "Customers cannot write these records."
PAYMENTS_ARE_FINAL = "Customers cannot change a payment once made."


@dataclass(frozen=True)
class CustomerRules:
    """What a customer may write of their own records of one model (whose they are: the row's
    ``owner``)."""

    create: frozenset[str]  # the fields a customer may give a new record
    update: frozenset[str]  # the fields a customer may change
    delete: Callable[[models.Model], str | None]  # why a customer may not delete this one, or None
    status: Callable[[str | None, str], str | None] = lambda old, new: None  # (old, None if new; new) -> why not
    # The statuses in which a customer may change fields other than the status (None: any).
    changes_while: frozenset[str] | None = None
    update_refused: str = STAFF_ONLY  # what a field outside ``update`` is told


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
    assert isinstance(pet, Pet)
    if pet.reservations.exists() or pet.medical_records.exists():
        return "A pet with reservations or medical records is kept; staff may remove it."
    return None


_PET = frozenset({"owner", "name", "species", "breed", "age"})
_RESERVATION = frozenset({"user", "pet", "service", "checkin_date", "checkout_date", "status"})


# --- the table ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    """One model's row of the table."""

    model: type[models.Model]
    # The lookup from a record to the id of the user whose record it is ("owner", "pet__owner";
    # "pk" for an account, its own); None: nobody's (staff's or public).
    owner: str | None
    read: Level
    write: Level
    activity_logged: bool = True
    related: tuple[str, ...] = ()  # selected with every read of the records
    customer_rules: CustomerRules | None = None  # None: a customer may write none of them
    # Whether a writer names the owner (a customer's new record is their own; staff must say
    # whose); otherwise the owner comes from another record (a reservation is its pet's owner's).
    names_owner: bool = False
    # Fields whose saves alone are bookkeeping: neither activity nor an event.
    bookkeeping: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        # The combinations that would contradict themselves are refused at import.
        if (self.owner is None) != (self.read is not Level.CUSTOMER):
            raise ValueError(f"{self.model.__name__}: customers read their own records exactly when they have an owner")
        if self.write is Level.PUBLIC:
            raise ValueError(f"{self.model.__name__}: nobody writes without signing in")
        if self.customer_rules is not None and (self.write is not Level.CUSTOMER or not self.owner_field):
            raise ValueError(f"{self.model.__name__}: customer rules need customer writes and an owner field")
        if self.names_owner and not self.owner_field:
            raise ValueError(f"{self.model.__name__}: only an owner field of its own can be named")

    @property
    def owner_field(self) -> str | None:
        """The record's own field naming its owner, if the owner path is one (``owner``, ``user``)."""
        return self.owner if self.owner and self.owner != "pk" and "__" not in self.owner else None

    def owner_ids(self, instance: models.Model) -> list[int]:
        """The ids of the users besides staff whose record ``instance`` is: its owner, or nobody.
        The audience of its events."""
        if self.owner is None:
            return []
        *hops, last = self.owner.split("__")
        target: models.Model | None = instance
        for hop in hops:
            target = getattr(target, hop)
            if target is None:
                return []
        assert target is not None
        if last == "pk":
            owner_id = target.pk
        else:  # an owner path ends at a concrete field
            owner_id = getattr(target, cast("models.Field[Any, Any]", target._meta.get_field(last)).attname)
        return [] if owner_id is None else [owner_id]


CUSTOMER, PUBLIC, STAFF = Level.CUSTOMER, Level.PUBLIC, Level.STAFF

DOMAIN: tuple[Record, ...] = (
    # A customer sees one account, their own (``/api/users/me/``, and the one user a write may name).
    Record(User, owner="pk", read=CUSTOMER, write=STAFF, bookkeeping=frozenset({"last_login"})),
    Record(
        Pet,
        owner="owner",
        read=CUSTOMER,
        write=CUSTOMER,
        related=("owner",),
        names_owner=True,
        customer_rules=CustomerRules(create=_PET, update=_PET, delete=_pet_delete),
    ),
    Record(Service, owner=None, read=PUBLIC, write=STAFF),
    Record(
        Reservation,
        owner="user",
        read=CUSTOMER,
        write=CUSTOMER,
        related=("user", "pet", "service"),
        customer_rules=CustomerRules(
            create=_RESERVATION,
            update=_RESERVATION,
            status=_reservation_status,
            changes_while=frozenset({Reservation.Status.PENDING}),
            delete=_never("Customers cancel a reservation (status cancelled); only staff delete one."),
        ),
    ),
    Record(
        Payment,
        owner="user",
        read=CUSTOMER,
        write=CUSTOMER,
        related=("user", "reservation"),
        customer_rules=CustomerRules(
            create=frozenset({"reservation", "user", "amount", "method", "status"}),
            update=frozenset(),
            status=_payment_status,
            delete=_never(PAYMENTS_ARE_FINAL),
            update_refused=PAYMENTS_ARE_FINAL,
        ),
    ),
    # Customer writes reach the services, which refuse them (no rules) naming each field sent, and
    # another customer's invoice is a 404 first; medical records turn customers away at the door.
    Record(Invoice, owner="user", read=CUSTOMER, write=CUSTOMER, related=("user", "reservation"), names_owner=True),
    Record(MedicalRecord, owner="pet__owner", read=CUSTOMER, write=STAFF, related=("pet", "veterinarian__user")),
    Record(Employee, owner=None, read=STAFF, write=STAFF, related=("user",)),
    # The log and the invoice counters are the server's: the API and the admin only read them.
    Record(ActivityLog, owner=None, read=STAFF, write=STAFF, activity_logged=False, related=("actor",)),
    Record(InvoiceCounter, owner=None, read=STAFF, write=STAFF, activity_logged=False),
    # A reservation's conversation: its customer and all staff take part (petland.chat). The chat
    # services write these (no customer rules: the generic writes refuse customers); the
    # conversation is its own record, so the activity log does not repeat it.
    Record(Message, owner="reservation__user", read=CUSTOMER, write=CUSTOMER, activity_logged=False, related=("author",)),
    Record(ChatReadMarker, owner="user", read=CUSTOMER, write=CUSTOMER, activity_logged=False),
)

RECORDS: dict[type[models.Model], Record] = {declared.model: declared for declared in DOMAIN}
if len(RECORDS) != len(DOMAIN):
    raise ValueError("Each model is declared once in petland.domain.DOMAIN")


def record(model: type[models.Model]) -> Record:
    """The row of ``model``; a model that is not declared is an error, never a default."""
    try:
        return RECORDS[model]
    except KeyError:
        raise LookupError(f"{model.__name__} is not declared in petland.domain.DOMAIN") from None


def activity_logged() -> Iterable[Record]:
    """The rows of the models whose every change the activity log records."""
    return [declared for declared in DOMAIN if declared.activity_logged]
