"""Demo data for local development: staff, customers, pets, services and a visit's records.

Idempotent, keyed on what does not change: logins by username, a customer's one demo invoice by
the customer (the server numbers invoices), the service catalogue while it is empty, a
customer's pets and visits while the customer has no pet. So a
second run adds nothing, even after someone renamed Luna (and writes no activity and publishes
no event). Refuses to run with DEBUG off, since its accounts have well-known passwords.
"""

from __future__ import annotations

from datetime import date, datetime, UTC
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction

from petland import services
from petland.models import Employee, Invoice, MedicalRecord, Payment, Pet, Reservation, Service, User

LOGINS = [
    # username, password, staff, superuser, first, last
    ("admin", "petland-admin", True, True, "Ada", "Admin"),
    ("maria", "petland-staff", True, False, "María", "Vet"),
    ("alice", "petland-demo", False, False, "Alice", "Owner"),
    ("bob", "petland-demo", False, False, "Bob", "Owner"),
]


SERVICES = {
    "Boarding": {"description": "A night in our kennels, walks included.", "price": Decimal("35.00"), "duration": 1440},
    "Grooming": {"description": "Bath, brush, nails and ears.", "price": Decimal("45.00"), "duration": 90},
    "Vet check-up": {"description": "General health examination.", "price": Decimal("60.00"), "duration": 30},
}


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class Command(BaseCommand):
    help = "Create demo logins and records (DEBUG only). Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates accounts with well-known passwords; it runs only with DJANGO_DEBUG=1.")
        self.created = 0
        with transaction.atomic():
            self.seed()
        self.stdout.write(f"Demo data ready ({self.created} records created).")
        self.stdout.write("Demo logins (DEBUG only):")
        for username, password, is_staff, is_superuser, *_ in LOGINS:
            role = "superuser" if is_superuser else "staff" if is_staff else "customer"
            self.stdout.write(f"  {username:<6} / {password:<14} {role}")

    def ensure(self, model: type[models.Model], lookup: dict[str, Any], **fields: Any) -> Any:
        existing = model._default_manager.filter(**lookup).first()
        if existing is not None:
            return existing
        self.created += 1
        if model is Invoice:
            return services.invoice_create(actor=None, **lookup, **fields)
        return services.record_create(model, actor=None, **lookup, **fields)

    def service(self, name: str) -> Service:
        return self.ensure(Service, {"name": name}, **SERVICES[name])

    def seed(self) -> None:
        users = {}
        for username, password, is_staff, is_superuser, first, last in LOGINS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(
                    username=username,
                    email=f"{username}@petland.example",
                    first_name=first,
                    last_name=last,
                    is_staff=is_staff,
                    is_superuser=is_superuser,
                )
                user.set_password(password)
                user.save()
                self.created += 1
            users[username] = user

        vet = self.ensure(Employee, {"user": users["maria"]}, position="Veterinarian", hire_date=date(2022, 3, 1))
        self.ensure(Employee, {"user": users["admin"]}, position="Manager", hire_date=date(2020, 1, 15))
        # Names change (staff rename a service, a customer a pet); what does not is keyed on: the
        # catalogue is seeded while it is empty, and a customer's records while they have no pet.
        if not Service.objects.exists():
            for name in SERVICES:
                self.service(name)
        if not Pet.objects.filter(owner=users["alice"]).exists():
            self.seed_alice(users["alice"], vet)
        if not Pet.objects.filter(owner=users["bob"]).exists():
            self.seed_bob(users["bob"])

    def seed_alice(self, alice: User, vet: Employee) -> None:
        luna = self.ensure(Pet, {"owner": alice, "name": "Luna"}, species="Perro", breed="Golden Retriever", age=3)
        self.ensure(Pet, {"owner": alice, "name": "Milo"}, species="Gato", breed="Siamese", age=5)
        stay = self.ensure(
            Reservation,
            {"pet": luna, "service": self.service("Boarding"), "checkin_date": _utc(2026, 12, 20, 9)},
            user=alice,
            checkout_date=_utc(2026, 12, 23, 18),
            status=Reservation.Status.CONFIRMED,
        )
        visit = self.ensure(
            Reservation,
            {"pet": luna, "service": self.service("Vet check-up"), "checkin_date": _utc(2026, 11, 2, 16)},
            user=alice,
            checkout_date=_utc(2026, 11, 2, 16, 30),
            status=Reservation.Status.COMPLETED,
        )
        self.ensure(
            Payment,
            {"reservation": visit, "amount": Decimal("60.00")},
            user=alice,
            method=Payment.Method.CARD,
            status=Payment.Status.COMPLETED,
        )
        self.ensure(
            Payment,
            {"reservation": stay, "amount": Decimal("35.00")},
            user=alice,
            method=Payment.Method.CARD,
            status=Payment.Status.PENDING,
        )
        self.ensure(
            Invoice,
            {"user": alice},
            reservation=visit,
            total=Decimal("60.00"),
            status=Invoice.Status.PAID,
            issued_at=_utc(2026, 11, 2, 17),
        )
        self.ensure(
            MedicalRecord,
            {"pet": luna, "date": date(2026, 11, 2)},
            veterinarian=vet,
            description="Annual check-up.",
            diagnosis="Healthy.",
            treatment="Rabies booster.",
        )

    def seed_bob(self, bob: User) -> None:
        rocky = self.ensure(Pet, {"owner": bob, "name": "Rocky"}, species="Perro", breed="Bulldog", age=7)
        groom = self.ensure(
            Reservation,
            {"pet": rocky, "service": self.service("Grooming"), "checkin_date": _utc(2026, 12, 5, 10)},
            user=bob,
            checkout_date=_utc(2026, 12, 5, 11, 30),
            status=Reservation.Status.PENDING,
        )
        self.ensure(
            Invoice,
            {"user": bob},
            reservation=groom,
            total=Decimal("45.00"),
            status=Invoice.Status.ISSUED,
            issued_at=_utc(2026, 11, 28, 12),
        )
