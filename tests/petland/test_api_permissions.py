"""The REST API's permission matrix, written as a spec: who may list, read, create, change and
delete what. The records the matrix reads, changes and deletes are alice's; bob is another
customer, who must never see them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import models as db_models
from django.utils import timezone
from rest_framework.test import APIClient

from petland import models
from tests.factories import (
    PASSWORD,
    EmployeeFactory,
    InvoiceFactory,
    MedicalRecordFactory,
    PaymentFactory,
    PetFactory,
    ReservationFactory,
    ServiceFactory,
    UserFactory,
)
from tests.support.endpoints import MODEL, UPDATE

ANONYMOUS, ALICE, BOB, STAFF = "anonymous", "alice", "bob", "staff"
PERSONAS = [ANONYMOUS, ALICE, BOB, STAFF]


@dataclass
class World:
    """One of everything for alice and for bob, plus what only staff see."""

    alice: models.User
    bob: models.User
    staff: models.User
    service: models.Service  # booked by the reservations below
    spare_service: models.Service  # booked by no one: the service the matrix changes and deletes
    employee: models.Employee
    owned: dict[str, dict[str, db_models.Model]] = field(default_factory=dict)  # endpoint -> username -> record

    def target(self, endpoint: str) -> db_models.Model:
        """The record the matrix reads, changes and deletes: alice's, where records have owners."""
        if endpoint == "services":
            return self.spare_service
        if endpoint == "employees":
            return self.employee
        if endpoint == "activity-logs":
            pet = self.owned["pets"]["alice"]
            return models.ActivityLog.objects.filter(entity_type="pet", entity_id=str(pet.pk)).first()
        return self.owned[endpoint]["alice"]

    def customer(self, user: models.User | None) -> models.User:
        """Whose records a request works with: a customer's own, or alice's for anyone else."""
        return user if user in (self.alice, self.bob) else self.alice


@pytest.fixture
def world(alice, bob, staff) -> World:
    service = ServiceFactory(name="Boarding")
    w = World(
        alice=alice,
        bob=bob,
        staff=staff,
        service=service,
        spare_service=ServiceFactory(name="Nail trim"),
        employee=EmployeeFactory(),
    )
    for endpoint in ["pets", "reservations", "payments", "invoices", "medical-history"]:
        w.owned[endpoint] = {}
    for user in (alice, bob):
        pet = PetFactory(owner=user, name=f"{user.username}'s pet")
        reservation = ReservationFactory(pet=pet, service=service)
        w.owned["pets"][user.username] = pet
        w.owned["reservations"][user.username] = reservation
        w.owned["payments"][user.username] = PaymentFactory(reservation=reservation)
        w.owned["invoices"][user.username] = InvoiceFactory(user=user, reservation=reservation)
        w.owned["medical-history"][user.username] = MedicalRecordFactory(pet=pet, veterinarian=w.employee)
    return w


@pytest.fixture
def client_of(request) -> Callable[[str], APIClient]:
    return lambda persona: request.getfixturevalue(f"{persona}_api")


def user_of(world: World, persona: str) -> models.User | None:
    return {ANONYMOUS: None, ALICE: world.alice, BOB: world.bob, STAFF: world.staff}[persona]


def _soon(days: int) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


# What each endpoint is sent to create a record. Customers use their own records; staff and
# anonymous use alice's, and staff name the customer.
CREATE: dict[str, Callable[[World, models.User | None], dict[str, Any]]] = {
    "pets": lambda w, user: {"name": "Nala", "species": "Gato", "age": 2, **({"owner": w.alice.pk} if user == w.staff else {})},
    "services": lambda w, user: {"name": "Puppy class", "price": "25.00", "duration": 45},
    "reservations": lambda w, user: {
        "pet": w.owned["pets"][w.customer(user).username].pk,
        "service": w.service.pk,
        "checkin_date": _soon(10),
        "checkout_date": _soon(12),
    },
    "payments": lambda w, user: {
        "reservation": w.owned["reservations"][w.customer(user).username].pk,
        "amount": "25.00",
        "method": "cash",
    },
    "invoices": lambda w, user: {"total": "25.00", **({"user": w.alice.pk} if user == w.staff else {})},
    "medical-history": lambda w, user: {
        "pet": w.owned["pets"][w.customer(user).username].pk,
        "date": "2026-11-20",
        "description": "Vaccination",
    },
    "employees": lambda w, user: {"user": UserFactory(username="new_hire").pk, "position": "Groomer", "hire_date": "2024-05-01"},
    "activity-logs": lambda w, user: {"action": "created", "entity_type": "pet", "entity_id": "1", "summary": "forged"},
}

OWN_RECORDS = {ALICE: (200, 200, 201, 200, 204), BOB: (200, 404, 201, 404, 404)}
# Reservations: customers book and cancel, staff confirm (the matrix's update) and delete. Payments:
# customers pay, staff change and delete. Invoices: read-only to customers. Another's record is a
# 404 before any rule is asked.
STAFF_CHANGE_THEM = {ALICE: (200, 200, 201, 403, 403), BOB: (200, 404, 201, 404, 404)}
READ_ONLY_TO_CUSTOMERS = {ALICE: (200, 200, 403, 403, 403), BOB: (200, 404, 403, 404, 404)}
NOT_SIGNED_IN = (401, 401, 401, 401, 401)
STAFF_ONLY_FOR_CUSTOMERS = (403, 403, 403, 403, 403)
STAFF_DOES_EVERYTHING = (200, 200, 201, 200, 204)

# endpoint, persona: status for list, retrieve alice's record, create, update alice's, delete alice's
MATRIX: list[tuple[str, str, tuple[int, int, int, int, int]]] = [
    ("pets", ANONYMOUS, NOT_SIGNED_IN),
    ("pets", ALICE, (200, 200, 201, 200, 403)),  # her pet has reservations: kept (see below)
    ("pets", BOB, OWN_RECORDS[BOB]),
    ("pets", STAFF, STAFF_DOES_EVERYTHING),
    ("services", ANONYMOUS, (200, 200, 401, 401, 401)),
    ("services", ALICE, (200, 200, 403, 403, 403)),
    ("services", BOB, (200, 200, 403, 403, 403)),
    ("services", STAFF, STAFF_DOES_EVERYTHING),
    ("reservations", ANONYMOUS, NOT_SIGNED_IN),
    ("reservations", ALICE, STAFF_CHANGE_THEM[ALICE]),
    ("reservations", BOB, STAFF_CHANGE_THEM[BOB]),
    ("reservations", STAFF, STAFF_DOES_EVERYTHING),
    ("payments", ANONYMOUS, NOT_SIGNED_IN),
    ("payments", ALICE, STAFF_CHANGE_THEM[ALICE]),
    ("payments", BOB, STAFF_CHANGE_THEM[BOB]),
    ("payments", STAFF, STAFF_DOES_EVERYTHING),
    ("invoices", ANONYMOUS, NOT_SIGNED_IN),
    ("invoices", ALICE, READ_ONLY_TO_CUSTOMERS[ALICE]),
    ("invoices", BOB, READ_ONLY_TO_CUSTOMERS[BOB]),
    ("invoices", STAFF, STAFF_DOES_EVERYTHING),
    # Medical records are read-only to customers.
    ("medical-history", ANONYMOUS, NOT_SIGNED_IN),
    ("medical-history", ALICE, (200, 200, 403, 403, 403)),
    ("medical-history", BOB, (200, 404, 403, 403, 403)),
    ("medical-history", STAFF, STAFF_DOES_EVERYTHING),
    ("employees", ANONYMOUS, NOT_SIGNED_IN),
    ("employees", ALICE, STAFF_ONLY_FOR_CUSTOMERS),
    ("employees", BOB, STAFF_ONLY_FOR_CUSTOMERS),
    ("employees", STAFF, STAFF_DOES_EVERYTHING),
    # The activity log records what happened; nobody writes to it.
    ("activity-logs", ANONYMOUS, NOT_SIGNED_IN),
    ("activity-logs", ALICE, STAFF_ONLY_FOR_CUSTOMERS),
    ("activity-logs", BOB, STAFF_ONLY_FOR_CUSTOMERS),
    ("activity-logs", STAFF, (200, 200, 405, 405, 405)),
]

LIST, RETRIEVE, CREATE_, UPDATE_, DELETE = range(5)


def column(action: int) -> list[Any]:
    return [
        pytest.param(endpoint, persona, statuses[action], id=f"{persona}-{endpoint}-{statuses[action]}")
        for endpoint, persona, statuses in MATRIX
    ]


@pytest.mark.parametrize("endpoint, persona, expected", column(LIST))
def test_who_may_list(world, client_of, endpoint, persona, expected):
    response = client_of(persona).get(f"/api/{endpoint}/")

    assert response.status_code == expected, response.content
    if expected == 200:
        assert response.json()["count"] >= 1


@pytest.mark.parametrize("endpoint, persona, expected", column(RETRIEVE))
def test_who_may_read_alices_record(world, client_of, endpoint, persona, expected):
    target = world.target(endpoint)

    response = client_of(persona).get(f"/api/{endpoint}/{target.pk}/")

    assert response.status_code == expected, response.content
    if expected == 200:
        assert response.json()["id"] == target.pk


@pytest.mark.parametrize("endpoint, persona, expected", column(CREATE_))
def test_who_may_create(world, client_of, endpoint, persona, expected):
    payload = CREATE[endpoint](world, user_of(world, persona))
    before = MODEL[endpoint].objects.count()

    response = client_of(persona).post(f"/api/{endpoint}/", payload, format="json")

    assert response.status_code == expected, response.content
    assert MODEL[endpoint].objects.count() == before + (1 if expected == 201 else 0)
    if expected == 201:
        assert MODEL[endpoint].objects.filter(pk=response.json()["id"]).exists()


@pytest.mark.parametrize("endpoint, persona, expected", column(UPDATE_))
def test_who_may_update_alices_record(world, client_of, endpoint, persona, expected):
    target = world.target(endpoint)
    name, value = UPDATE[endpoint]
    before = str(getattr(target, name))

    response = client_of(persona).patch(f"/api/{endpoint}/{target.pk}/", {name: value}, format="json")

    assert response.status_code == expected, response.content
    target.refresh_from_db()
    assert str(getattr(target, name)) == (value if expected == 200 else before)


@pytest.mark.parametrize("endpoint, persona, expected", column(DELETE))
def test_who_may_delete_alices_record(world, client_of, endpoint, persona, expected):
    target = world.target(endpoint)

    response = client_of(persona).delete(f"/api/{endpoint}/{target.pk}/")

    assert response.status_code == expected, response.content
    assert type(target).objects.filter(pk=target.pk).exists() is (expected != 204)


@pytest.mark.parametrize("endpoint", ["pets", "reservations", "payments", "invoices", "medical-history"])
def test_customers_list_only_their_own_records_and_staff_list_everyones(world, client_of, endpoint):
    def listed(persona: str) -> set[int]:
        return {item["id"] for item in client_of(persona).get(f"/api/{endpoint}/").json()["results"]}

    alices, bobs = world.owned[endpoint]["alice"].pk, world.owned[endpoint]["bob"].pk
    assert listed(ALICE) == {alices}
    assert listed(BOB) == {bobs}
    assert {alices, bobs} <= listed(STAFF)


def test_anyone_may_list_services_even_signed_out(world, anonymous_api):
    names = {item["name"] for item in anonymous_api.get("/api/services/").json()["results"]}

    assert names == {"Boarding", "Nail trim"}


def test_bob_cannot_see_alices_pet(world, bob_api):
    pet = world.owned["pets"]["alice"]

    assert bob_api.get(f"/api/pets/{pet.pk}/").status_code == 404
    assert bob_api.get("/api/pets/", {"owner": world.alice.pk}).json()["results"] == []


# --- who may set which field ---------------------------------------------------------------------
# Every writable field of every endpoint, set on its own: in a new record (the endpoint's CREATE
# body plus the field) and in alice's record (a PATCH of the field alone), by alice and by staff.
# Whose record it is (owner, user) is asked elsewhere: customers name only themselves (a 400
# for anyone else, as for an id that does not exist), staff name the customer. A customer's
# refusal is a 403 naming the field, and changes nothing; so is a staff-only endpoint's, as a whole.
OK, REFUSED = "ok", "refused"


def _alices(endpoint: str) -> Callable[[World], Any]:
    return lambda w: w.owned[endpoint]["alice"]


FIELDS: list[tuple[str, str, Callable[[World], Any], str, str]] = [
    # endpoint, field, value, alice's create & update, staff's create & update are always OK
    ("pets", "name", lambda w: "Renamed", OK, OK),
    ("pets", "species", lambda w: "Gato", OK, OK),
    ("pets", "breed", lambda w: "Mixed", OK, OK),
    ("pets", "age", lambda w: 9, OK, OK),

    ("reservations", "pet", lambda w: PetFactory(owner=w.alice).pk, OK, OK),
    ("reservations", "service", lambda w: w.spare_service.pk, OK, OK),
    ("reservations", "checkin_date", lambda w: _soon(0), OK, OK),
    ("reservations", "checkout_date", lambda w: _soon(30), OK, OK),
    ("reservations", "status", lambda w: "pending", OK, OK),  # alice's is pending: no change
    ("reservations", "status", lambda w: "confirmed", REFUSED, REFUSED),
    ("reservations", "status", lambda w: "checked_in", REFUSED, REFUSED),
    ("reservations", "status", lambda w: "completed", REFUSED, REFUSED),
    ("reservations", "status", lambda w: "cancelled", REFUSED, OK),  # booked cancelled: no; cancelled: yes

    ("payments", "reservation", lambda w: ReservationFactory(pet=w.owned["pets"]["alice"]).pk, OK, REFUSED),
    ("payments", "amount", lambda w: "1.00", OK, REFUSED),
    ("payments", "method", lambda w: "transfer", OK, REFUSED),
    ("payments", "status", lambda w: "pending", OK, OK),  # alice's is pending: no change
    ("payments", "status", lambda w: "completed", REFUSED, REFUSED),
    ("payments", "status", lambda w: "failed", REFUSED, REFUSED),
    ("payments", "status", lambda w: "refunded", REFUSED, REFUSED),

    ("invoices", "reservation", lambda w: None, REFUSED, REFUSED),
    ("invoices", "total", lambda w: "0.00", REFUSED, REFUSED),
    ("invoices", "status", lambda w: "paid", REFUSED, REFUSED),
    ("invoices", "status", lambda w: "issued", REFUSED, REFUSED),
    ("invoices", "issued_at", lambda w: _soon(-1), REFUSED, REFUSED),

    ("services", "name", lambda w: "Bath", REFUSED, REFUSED),
    ("services", "description", lambda w: "Warm", REFUSED, REFUSED),
    ("services", "price", lambda w: "0.00", REFUSED, REFUSED),
    ("services", "duration", lambda w: 5, REFUSED, REFUSED),
    ("services", "active", lambda w: False, REFUSED, REFUSED),

    ("medical-history", "pet", lambda w: PetFactory(owner=w.alice).pk, REFUSED, REFUSED),
    ("medical-history", "date", lambda w: "2026-01-02", REFUSED, REFUSED),
    ("medical-history", "description", lambda w: "Limp", REFUSED, REFUSED),
    ("medical-history", "diagnosis", lambda w: "Sprain", REFUSED, REFUSED),
    ("medical-history", "treatment", lambda w: "Rest", REFUSED, REFUSED),
    ("medical-history", "veterinarian", lambda w: w.employee.pk, REFUSED, REFUSED),

    ("employees", "position", lambda w: "Groomer", REFUSED, REFUSED),
    ("employees", "hire_date", lambda w: "2021-01-01", REFUSED, REFUSED),
    ("employees", "active", lambda w: False, REFUSED, REFUSED),
]  # fmt: skip

CUSTOMER_WRITABLE = {"pets", "reservations", "payments", "invoices"}  # the others refuse customers as a whole


def _field_params(persona: str) -> list[Any]:
    params = []
    for endpoint, name, value, create, update in FIELDS:
        if persona == STAFF:
            create, update = OK, OK
        for action, outcome in (("create", create), ("update", update)):
            params.append(
                pytest.param(endpoint, name, value, action, outcome, id=f"{persona}-{action}-{endpoint}-{name}-{outcome}")
            )
    return params


def _stored(record: db_models.Model) -> dict[str, Any]:
    return {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields}


def _assert_field_write(
    world: World, client: APIClient, endpoint: str, name: str, value: Any, action: str, outcome: str, persona: str
) -> None:
    model = MODEL[endpoint]
    if action == "create":
        user = user_of(world, persona)
        body = {**CREATE[endpoint](world, user), name: value}
        before = model.objects.count()
        response = client.post(f"/api/{endpoint}/", body, format="json")
        assert response.status_code == (201 if outcome == OK else 403), response.content
        assert model.objects.count() == before + (outcome == OK)
    else:
        target = world.owned[endpoint]["alice"] if endpoint in world.owned else world.target(endpoint)
        before = _stored(target)
        response = client.patch(f"/api/{endpoint}/{target.pk}/", {name: value}, format="json")
        assert response.status_code == (200 if outcome == OK else 403), response.content
        target.refresh_from_db()
        if outcome == OK:
            assert response.json()[name] == client.get(f"/api/{endpoint}/{target.pk}/").json()[name]
        else:
            assert _stored(target) == before
    if outcome == REFUSED and endpoint in CUSTOMER_WRITABLE:
        assert name in response.json(), response.content  # named, so the client knows what to drop


@pytest.mark.parametrize("endpoint, name, value, action, outcome", _field_params(ALICE))
def test_which_fields_a_customer_may_set(world, alice_api, endpoint, name, value, action, outcome):
    _assert_field_write(world, alice_api, endpoint, name, value(world), action, outcome, ALICE)


@pytest.mark.parametrize("endpoint, name, value, action, outcome", _field_params(STAFF))
def test_staff_may_set_every_field(world, staff_api, endpoint, name, value, action, outcome):
    _assert_field_write(world, staff_api, endpoint, name, value(world), action, outcome, STAFF)


@pytest.mark.parametrize(
    "status, may_cancel",
    [
        ("pending", True),
        ("confirmed", True),
        ("checked_in", False),
        ("completed", False),
        ("cancelled", False),
    ],
)
def test_a_customer_cancels_a_pending_or_confirmed_reservation_only(world, alice_api, status, may_cancel):
    reservation = world.owned["reservations"]["alice"]
    models.Reservation.objects.filter(pk=reservation.pk).update(status=status)

    response = alice_api.patch(f"/api/reservations/{reservation.pk}/", {"status": "cancelled"}, format="json")

    reservation.refresh_from_db()
    if may_cancel:
        assert (response.status_code, reservation.status) == (200, "cancelled")
    elif status == "cancelled":  # unchanged: nothing to refuse
        assert (response.status_code, reservation.status) == (200, "cancelled")
    else:
        assert response.status_code == 403
        assert list(response.json()) == ["status"]
        assert reservation.status == status


@pytest.mark.parametrize("status", ["confirmed", "cancelled"])
def test_a_customer_cannot_reopen_a_reservation(world, alice_api, status):
    reservation = world.owned["reservations"]["alice"]
    models.Reservation.objects.filter(pk=reservation.pk).update(status=status)

    response = alice_api.patch(f"/api/reservations/{reservation.pk}/", {"status": "pending"}, format="json")

    assert response.status_code == 403
    reservation.refresh_from_db()
    assert reservation.status == status


@pytest.mark.parametrize("status", ["confirmed", "checked_in", "completed", "cancelled"])
def test_a_customer_changes_a_reservation_only_while_it_is_pending(world, alice_api, status):
    reservation = world.owned["reservations"]["alice"]
    models.Reservation.objects.filter(pk=reservation.pk).update(status=status)
    before = reservation.checkout_date

    response = alice_api.patch(f"/api/reservations/{reservation.pk}/", {"checkout_date": _soon(30)}, format="json")

    assert response.status_code == 403
    assert response.json() == {"checkout_date": ["Customers change a reservation only while it is pending."]}
    reservation.refresh_from_db()
    assert reservation.checkout_date == before


def test_a_customer_deletes_a_pet_with_no_history(world, alice_api):
    pet = PetFactory(owner=world.alice)

    assert alice_api.delete(f"/api/pets/{pet.pk}/").status_code == 204
    assert not models.Pet.objects.filter(pk=pet.pk).exists()


def test_a_customer_cannot_delete_a_pet_and_with_it_its_payments_and_medical_records(world, alice_api):
    pet = world.owned["pets"]["alice"]

    response = alice_api.delete(f"/api/pets/{pet.pk}/")

    assert response.status_code == 403
    assert response.json() == {"detail": "A pet with reservations or medical records is kept; staff may remove it."}
    assert models.Payment.objects.filter(pk=world.owned["payments"]["alice"].pk).exists()
    assert models.MedicalRecord.objects.filter(pet=pet).exists()


def test_a_customer_payment_posted_as_completed_is_refused_and_names_the_status(world, alice_api):
    before = models.Payment.objects.count()

    response = alice_api.post(
        "/api/payments/",
        {
            "reservation": world.owned["reservations"]["alice"].pk,
            "amount": "25.00",
            "status": "completed",
        },
        format="json",
    )

    assert response.status_code == 403
    assert response.json() == {"status": ["A customer's payment is made pending; only staff record what became of it."]}
    assert models.Payment.objects.count() == before


# --- users/me ---------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", [ALICE, BOB, STAFF])
def test_users_me_is_the_signed_in_user(world, client_of, persona):
    response = client_of(persona).get("/api/users/me/")

    assert response.status_code == 200
    user = user_of(world, persona)
    assert response.json() == {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_staff": user.is_staff,
    }


@pytest.mark.parametrize(
    "method, expected",
    [
        ("get", 401),
        ("post", 401),
        ("put", 401),
        ("patch", 401),
        ("delete", 401),
    ],
)
def test_users_me_needs_a_signed_in_user(anonymous_api, method, expected):
    assert getattr(anonymous_api, method)("/api/users/me/").status_code == expected


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_users_me_is_read_only(alice, alice_api, method):
    response = getattr(alice_api, method)("/api/users/me/", {"username": "mallory", "is_staff": True}, format="json")

    assert response.status_code == 405
    alice.refresh_from_db()
    assert (alice.username, alice.is_staff) == ("alice", False)


# --- who owns what a customer or staff member creates -------------------------------------------
def test_a_customer_creating_a_pet_owns_it(alice, alice_api):
    response = alice_api.post("/api/pets/", {"name": "Luna", "species": "Perro", "age": 3}, format="json")

    assert response.status_code == 201
    assert response.json()["owner"] == alice.pk
    assert models.Pet.objects.get(pk=response.json()["id"]).owner == alice


def test_a_customer_cannot_create_a_pet_for_another_customer(alice_api, bob):
    response = alice_api.post("/api/pets/", {"name": "Luna", "species": "Perro", "owner": bob.pk}, format="json")

    assert response.status_code == 400
    assert "owner" in response.json()
    assert not models.Pet.objects.filter(name="Luna").exists()


def test_a_customer_cannot_give_their_pet_to_another_customer(world, alice_api):
    pet = world.owned["pets"]["alice"]

    response = alice_api.patch(f"/api/pets/{pet.pk}/", {"owner": world.bob.pk}, format="json")

    assert response.status_code == 400
    assert "owner" in response.json()
    pet.refresh_from_db()
    assert pet.owner == world.alice


def test_staff_must_name_the_owner_of_a_pet_they_create(staff_api):
    response = staff_api.post("/api/pets/", {"name": "Luna", "species": "Perro"}, format="json")

    assert response.status_code == 400
    assert "owner" in response.json()
    assert not models.Pet.objects.filter(name="Luna").exists()


def test_staff_create_a_pet_for_the_customer_they_name(alice, staff_api):
    response = staff_api.post("/api/pets/", {"name": "Luna", "species": "Perro", "owner": alice.pk}, format="json")

    assert response.status_code == 201
    assert models.Pet.objects.get(pk=response.json()["id"]).owner == alice


def test_a_reservation_belongs_to_the_pets_owner_even_when_staff_book_it(world, staff_api):
    pet = world.owned["pets"]["bob"]

    response = staff_api.post(
        "/api/reservations/",
        {
            "pet": pet.pk,
            "service": world.service.pk,
            "checkin_date": _soon(3),
            "checkout_date": _soon(4),
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["user"] == world.bob.pk


def test_staffs_invoice_is_the_named_customers_and_numbered(alice, staff_api):
    response = staff_api.post("/api/invoices/", {"user": alice.pk, "total": "12.50"}, format="json")

    assert response.status_code == 201
    invoice = models.Invoice.objects.get(pk=response.json()["id"])
    assert invoice.user == alice
    assert invoice.number == response.json()["number"] and invoice.number.startswith(f"INV-{timezone.now().year}-")


# --- bad input: 400 with per-field messages, and nothing changes --------------------------------
def test_a_reservation_whose_checkout_is_before_its_checkin_is_refused(world, alice_api):
    before = models.Reservation.objects.count()

    response = alice_api.post(
        "/api/reservations/",
        {
            "pet": world.owned["pets"]["alice"].pk,
            "service": world.service.pk,
            "checkin_date": _soon(5),
            "checkout_date": _soon(4),
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"checkout_date": ["Checkout must be after checkin."]}
    assert models.Reservation.objects.count() == before


def test_alice_cannot_book_bobs_pet(world, alice_api):
    before = models.Reservation.objects.count()

    response = alice_api.post(
        "/api/reservations/",
        {
            "pet": world.owned["pets"]["bob"].pk,
            "service": world.service.pk,
            "checkin_date": _soon(3),
            "checkout_date": _soon(4),
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["pet"]
    assert models.Reservation.objects.count() == before


def test_alice_cannot_pay_for_bobs_reservation(world, alice_api):
    before = models.Payment.objects.count()

    response = alice_api.post(
        "/api/payments/",
        {
            "reservation": world.owned["reservations"]["bob"].pk,
            "amount": "10.00",
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["reservation"]
    assert models.Payment.objects.count() == before


@pytest.mark.parametrize("amount", ["-5.00", "0.00"])
def test_a_payment_of_nothing_or_less_is_refused(world, alice_api, amount):
    before = models.Payment.objects.count()

    response = alice_api.post(
        "/api/payments/",
        {
            "reservation": world.owned["reservations"]["alice"].pk,
            "amount": amount,
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["amount"]
    assert models.Payment.objects.count() == before


def test_a_change_that_breaks_a_rule_changes_nothing(world, alice_api):
    reservation = world.owned["reservations"]["alice"]
    checkout = reservation.checkout_date

    response = alice_api.patch(
        f"/api/reservations/{reservation.pk}/",
        {
            "status": "cancelled",
            "checkout_date": (reservation.checkin_date - timedelta(hours=1)).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 400
    assert "checkout_date" in response.json()
    reservation.refresh_from_db()
    assert (reservation.status, reservation.checkout_date) == ("pending", checkout)


@pytest.mark.parametrize("method", ["post", "patch"])
def test_invoice_numbers_are_the_servers_staff_cannot_choose_one(world, staff_api, method):
    invoice = world.owned["invoices"]["alice"]
    taken = world.owned["invoices"]["bob"].number
    url = "/api/invoices/" if method == "post" else f"/api/invoices/{invoice.pk}/"
    before = models.Invoice.objects.count()

    response = getattr(staff_api, method)(url, {"user": world.alice.pk, "number": taken, "total": "5.00"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"number": ["Invoice numbers are given by the server."]}  # and no one else's
    assert models.Invoice.objects.count() == before
    invoice.refresh_from_db()
    assert (invoice.number, invoice.total) != (taken, Decimal("5.00"))


def test_staff_get_the_years_next_invoice_number(world, staff_api):
    year = timezone.now().year
    models.Invoice.objects.filter(pk=world.owned["invoices"]["bob"].pk).update(number=f"INV-{year}-{'9' * 23}")

    response = staff_api.post("/api/invoices/", {"user": world.alice.pk, "total": "5.00"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["number"] == f"INV-{year}-000001"


def test_missing_required_fields_are_named(alice_api):
    response = alice_api.post("/api/pets/", {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"name", "species"}


def test_staff_cannot_delete_a_service_that_is_still_booked(world, staff_api):
    response = staff_api.delete(f"/api/services/{world.service.pk}/")

    assert response.status_code == 409
    assert "reservation" in response.json()["detail"].lower()
    assert models.Service.objects.filter(pk=world.service.pk).exists()


# --- JWT ----------------------------------------------------------------------------------------
def test_a_jwt_access_token_authorizes_requests(alice):
    client = APIClient()
    tokens = client.post("/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert tokens.status_code == 200
    assert set(tokens.json()) == {"access", "refresh"}

    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    me = client.get("/api/users/me/")

    assert me.status_code == 200
    assert me.json()["username"] == "alice"


def test_a_jwt_refresh_token_gives_a_new_working_access_token(alice):
    client = APIClient()
    refresh = client.post("/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json").json()["refresh"]

    response = client.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")

    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert client.get("/api/users/me/").json()["username"] == "alice"


def test_a_wrong_password_gets_no_token(alice):
    response = APIClient().post("/api/auth/token/", {"username": "alice", "password": "wrong"}, format="json")

    assert response.status_code == 401
    assert "access" not in response.json()


def test_a_forged_token_is_refused(alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")

    assert client.get("/api/users/me/").status_code == 401


# --- pagination and filtering -------------------------------------------------------------------
def test_page_size_is_honoured(alice, alice_api):
    PetFactory.create_batch(7, owner=alice)

    body = alice_api.get("/api/pets/", {"page_size": 5}).json()

    assert body["count"] == 7
    assert len(body["results"]) == 5
    assert body["next"] is not None


def test_page_size_is_capped_at_100(alice, alice_api):
    PetFactory.create_batch(105, owner=alice)

    body = alice_api.get("/api/pets/", {"page_size": 500}).json()

    assert body["count"] == 105
    assert len(body["results"]) == 100


def test_reservations_filter_by_status(world, alice, alice_api):
    confirmed = ReservationFactory(pet=world.owned["pets"]["alice"], status="confirmed")

    body = alice_api.get("/api/reservations/", {"status": "confirmed"}).json()

    assert [item["id"] for item in body["results"]] == [confirmed.pk]


def test_an_unknown_filter_value_is_a_400(alice_api):
    response = alice_api.get("/api/reservations/", {"status": "lost"})

    assert response.status_code == 400
    assert "status" in response.json()


# --- documentation ------------------------------------------------------------------------------
def test_the_openapi_schema_is_served(anonymous_api):
    response = anonymous_api.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/pets/", "/api/users/me/", "/api/auth/token/", "/api/activity-logs/"} <= set(paths)


def test_the_swagger_ui_is_served(anonymous_api):
    response = anonymous_api.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
