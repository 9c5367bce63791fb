"""Fixtures of the security tests: the personas, authenticated the way real clients are (a JWT
access token in the ``Authorization`` header or ``?token=``), one of each record for alice and
for bob, and the real-time tests' socket fixture.

Personas: ``anonymous``; ``alice``, who owns the records under test; ``bob``, another customer,
who must never see them; ``staff``; and ``deactivated``: alice after her account was disabled,
still holding the access token she had, which has not expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from petland import models
from tests.factories import (
    EmployeeFactory,
    InvoiceFactory,
    MedicalRecordFactory,
    PaymentFactory,
    PetFactory,
    ReservationFactory,
    ServiceFactory,
)
from tests.realtime.conftest import open_socket, token_for  # noqa: F401 - the socket fixture, reused

ANONYMOUS, ALICE, BOB, STAFF, DEACTIVATED = "anonymous", "alice", "bob", "staff", "deactivated"
PERSONAS = [ANONYMOUS, ALICE, BOB, STAFF, DEACTIVATED]

# Strings that appear only in alice's records: a response or frame that reaches anyone but
# alice and staff must contain none of them.
ALICE_SECRETS = ("Secret Luna", "alice-only-breed", "INV-ALICE-0001", "alice-only-diagnosis", "4242.42")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Production's PBKDF2 takes a quarter of a second per password, and every persona has one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def realtime_settings(**overrides: object) -> override_settings:
    return override_settings(REALTIME={**settings.REALTIME, **overrides})


@dataclass
class Records:
    pet: models.Pet
    reservation: models.Reservation
    payment: models.Payment
    invoice: models.Invoice
    medical_record: models.MedicalRecord


@dataclass
class World:
    """One of each record for alice and for bob, the services, an employee."""

    alice: models.User
    bob: models.User
    staff: models.User
    service: models.Service  # booked by both
    spare_service: models.Service  # booked by no one, so it may be deleted
    employee: models.Employee
    of_alice: Records
    of_bob: Records


def records_of(user: models.User, service: models.Service, employee: models.Employee, secret: bool) -> Records:
    checkin = timezone.now() + timedelta(days=3)
    pet = PetFactory(owner=user, **({"name": "Secret Luna", "breed": "alice-only-breed"} if secret else {}))
    reservation = ReservationFactory(pet=pet, service=service, checkin_date=checkin, checkout_date=checkin + timedelta(days=2))
    return Records(
        pet=pet,
        reservation=reservation,
        payment=PaymentFactory(reservation=reservation, **({"amount": "4242.42"} if secret else {})),
        invoice=InvoiceFactory(user=user, reservation=reservation, **({"number": "INV-ALICE-0001"} if secret else {})),
        medical_record=MedicalRecordFactory(
            pet=pet, veterinarian=employee, **({"diagnosis": "alice-only-diagnosis"} if secret else {})
        ),
    )


def build_world(alice: models.User, bob: models.User, staff: models.User) -> World:
    service = ServiceFactory(name="Boarding")
    employee = EmployeeFactory()
    return World(
        alice=alice,
        bob=bob,
        staff=staff,
        service=service,
        spare_service=ServiceFactory(name="Nail trim"),
        employee=employee,
        of_alice=records_of(alice, service, employee, secret=True),
        of_bob=records_of(bob, service, employee, secret=False),
    )


@pytest.fixture
def world(alice, bob, staff) -> World:
    return build_world(alice, bob, staff)


def disable(user: models.User) -> str:
    """Disable an account and return the access token it held just before, still unexpired."""
    token = token_for(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    return token


def jwt_client(token: str | None) -> APIClient:
    client = APIClient()
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def api_as(world):
    """``api_as(persona)``: an API client holding that persona's real JWT access token."""

    def _client(persona: str) -> APIClient:
        if persona == ANONYMOUS:
            return jwt_client(None)
        if persona == DEACTIVATED:
            return jwt_client(disable(world.alice))
        return jwt_client(token_for(getattr(world, persona)))

    return _client


def mentions_alice(text: str) -> list[str]:
    """Which of alice's secrets a response body or a socket frame contains."""
    return [secret for secret in ALICE_SECRETS if secret in text]
