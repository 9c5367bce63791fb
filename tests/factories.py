"""factory_boy factories for every PetLand model. They save through the ORM, so they write
activity rows and publish events like any other change."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from petland import models

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"customer{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save(update_fields=["password"])


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Employee

    user = factory.SubFactory(StaffFactory)
    position = "Veterinarian"
    hire_date = date(2023, 1, 9)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Service

    name = factory.Sequence(lambda n: f"Service {n}")
    description = "A service"
    price = Decimal("40.00")
    duration = 60


class PetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Pet

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Pet {n}")
    species = "Perro"
    breed = "Golden Retriever"
    age = 3


class ReservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Reservation

    pet = factory.SubFactory(PetFactory)
    user = factory.LazyAttribute(lambda r: r.pet.owner)
    service = factory.SubFactory(ServiceFactory)
    checkin_date = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    checkout_date = factory.LazyAttribute(lambda r: r.checkin_date + timedelta(days=2))


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Payment

    reservation = factory.SubFactory(ReservationFactory)
    user = factory.LazyAttribute(lambda p: p.reservation.user)
    amount = Decimal("80.00")


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Invoice

    user = factory.SubFactory(UserFactory)
    number = factory.Sequence(lambda n: f"INV-TEST-{n:05d}")
    total = Decimal("80.00")


class MedicalRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.MedicalRecord

    pet = factory.SubFactory(PetFactory)
    date = date(2026, 11, 1)
    description = "Check-up"
    diagnosis = "Healthy"
