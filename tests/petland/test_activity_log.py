"""Every create, update and delete writes one ActivityLog row, in the same transaction, with the
person who made it: the API user, the admin user, or no one for a shell or a command."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from petland.activity import acting_as
from petland.models import ActivityLog, MedicalRecord, Pet, Reservation
from tests.factories import PASSWORD, MedicalRecordFactory, PetFactory, ReservationFactory

pytestmark = pytest.mark.django_db


def rows_about(entity_type: str, entity_id: int) -> list[tuple]:
    """(actor, action) of each row about one record, oldest first."""
    logs = ActivityLog.objects.filter(entity_type=entity_type, entity_id=str(entity_id)).order_by("id")
    return [(log.actor, log.action) for log in logs]


def pet_form(owner, **fields) -> dict:
    return {"owner": owner.pk, "name": "Luna", "species": "Perro", "breed": "Golden Retriever", "age": 3, **fields}


# --- through the API ----------------------------------------------------------------------------
def test_an_api_create_update_and_delete_are_logged_with_the_api_user(alice, alice_api):
    pet_id = alice_api.post("/api/pets/", {"name": "Luna", "species": "Perro"}, format="json").json()["id"]
    alice_api.patch(f"/api/pets/{pet_id}/", {"age": 4}, format="json")
    alice_api.delete(f"/api/pets/{pet_id}/")

    assert rows_about("pet", pet_id) == [(alice, "created"), (alice, "updated"), (alice, "deleted")]


def test_the_log_row_names_the_record_and_what_happened(alice, alice_api):
    pet_id = alice_api.post("/api/pets/", {"name": "Luna", "species": "Perro"}, format="json").json()["id"]

    log = ActivityLog.objects.get(entity_type="pet", entity_id=str(pet_id))
    assert (log.actor, log.action) == (alice, ActivityLog.Action.CREATED)
    assert "Luna" in log.summary
    assert log.created_at is not None


def test_a_jwt_user_is_the_actor(alice):
    client = APIClient()
    access = client.post("/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json").json()["access"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    pet_id = client.post("/api/pets/", {"name": "Luna", "species": "Perro"}, format="json").json()["id"]

    assert rows_about("pet", pet_id) == [(alice, "created")]


def test_staff_changes_through_the_api_are_logged_with_the_staff_member(alice, staff, staff_api):
    record = MedicalRecordFactory(pet=PetFactory(owner=alice))

    staff_api.patch(f"/api/medical-history/{record.pk}/", {"treatment": "Rest"}, format="json")

    assert rows_about("medical_record", record.pk)[-1] == (staff, "updated")


def test_deleting_a_pet_through_the_api_logs_its_reservations_deletion_too(alice, staff, staff_api):
    reservation = ReservationFactory(pet=PetFactory(owner=alice))  # so staff delete it: alice may not

    assert staff_api.delete(f"/api/pets/{reservation.pet_id}/").status_code == 204

    assert rows_about("reservation", reservation.pk)[-1] == (staff, "deleted")


def test_a_refused_api_request_logs_nothing(alice, alice_api):
    reservation = ReservationFactory(pet__owner=alice)
    before = ActivityLog.objects.count()

    response = alice_api.patch(
        f"/api/reservations/{reservation.pk}/",
        {
            "status": "cancelled",
            "checkout_date": reservation.checkin_date.replace(year=2000).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 400
    assert ActivityLog.objects.count() == before


# --- through the admin --------------------------------------------------------------------------
def test_an_admin_add_is_logged_with_the_admin_user(admin_browser, admin_staff, alice):
    response = admin_browser.post("/admin/petland/pet/add/", pet_form(alice))

    assert response.status_code == 302, response.content
    pet = Pet.objects.get(name="Luna")
    assert rows_about("pet", pet.pk) == [(admin_staff, "created")]


def test_an_admin_change_is_logged_with_the_admin_user(admin_browser, admin_staff, alice):
    pet = PetFactory(owner=alice, name="Luna")

    response = admin_browser.post(f"/admin/petland/pet/{pet.pk}/change/", pet_form(alice, age=4))

    assert response.status_code == 302, response.content
    assert rows_about("pet", pet.pk) == [(None, "created"), (admin_staff, "updated")]


def test_an_admin_delete_is_logged_with_the_admin_user(admin_browser, admin_staff, alice):
    pet = PetFactory(owner=alice, name="Luna")

    response = admin_browser.post(f"/admin/petland/pet/{pet.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302, response.content
    assert not Pet.objects.filter(pk=pet.pk).exists()
    assert rows_about("pet", pet.pk)[-1] == (admin_staff, "deleted")


def test_the_admins_bulk_delete_logs_each_record_with_the_admin_user(admin_browser, admin_staff, alice):
    pets = PetFactory.create_batch(2, owner=alice)

    response = admin_browser.post(
        "/admin/petland/pet/",
        {
            "action": "delete_selected",
            "_selected_action": [pet.pk for pet in pets],
            "post": "yes",
        },
    )

    assert response.status_code == 302, response.content
    assert [rows_about("pet", pet.pk)[-1] for pet in pets] == [(admin_staff, "deleted")] * 2


def test_an_admin_form_with_an_error_logs_nothing(admin_browser, alice, bob):
    pet, service = PetFactory(owner=bob), ReservationFactory().service
    before = ActivityLog.objects.count()

    response = admin_browser.post(
        "/admin/petland/reservation/add/",
        {
            "user": alice.pk,
            "pet": pet.pk,
            "service": service.pk,
            "status": "pending",
            "checkin_date_0": "2026-12-01",
            "checkin_date_1": "10:00:00",
            "checkout_date_0": "2026-12-02",
            "checkout_date_1": "10:00:00",
        },
    )

    assert response.status_code == 200  # the form again, with its errors
    assert "pet" in response.context["adminform"].form.errors
    assert ActivityLog.objects.count() == before
    assert not Reservation.objects.filter(pet=pet).exists()


def test_signing_in_to_the_admin_is_not_activity(alice):
    before = ActivityLog.objects.count()

    assert Client().login(username="alice", password=PASSWORD)

    assert ActivityLog.objects.count() == before


# --- through the ORM (a shell, a command) -------------------------------------------------------
def test_orm_changes_are_logged_without_an_actor(alice):
    pet = Pet.objects.create(owner=alice, name="Luna", species="Perro")
    pet.age = 4
    pet.save()
    pet_id = pet.pk
    pet.delete()

    assert rows_about("pet", pet_id) == [(None, "created"), (None, "updated"), (None, "deleted")]


def test_orm_changes_made_acting_as_someone_are_logged_with_them(alice, staff):
    with acting_as(staff):
        record = MedicalRecord.objects.create(pet=PetFactory(owner=alice), date="2026-11-02", description="x")

    assert rows_about("medical_record", record.pk) == [(staff, "created")]


def test_a_rolled_back_transaction_leaves_no_activity(alice):
    before = ActivityLog.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        pet = Pet.objects.create(owner=alice, name="Ghost", species="Gato")
        assert rows_about("pet", pet.pk) == [(None, "created")]  # written inside the transaction...
        raise RuntimeError("the rest of the change failed")

    assert ActivityLog.objects.count() == before  # ...and gone with it
    assert not Pet.objects.filter(name="Ghost").exists()


# --- how the log names records ------------------------------------------------------------------
def test_a_summary_names_the_kind_of_record_once(alice):
    from petland.models import Payment

    reservation = ReservationFactory(pet=PetFactory(owner=alice, name="Luna"))
    payment = Payment.objects.create(reservation=reservation, user=alice, amount="60.00")

    payment_log = ActivityLog.objects.get(entity_type="payment", entity_id=str(payment.pk))
    reservation_log = ActivityLog.objects.get(entity_type="reservation", entity_id=str(reservation.pk))
    assert payment_log.summary == f"Payment #{payment.pk} (60.00) created"
    assert reservation_log.summary == f"Reservation #{reservation.pk} for Luna created"
    assert ActivityLog.objects.get(entity_type="pet", entity_id=str(reservation.pet_id)).summary == "Pet Luna (Perro) created"


def test_an_update_is_summarised_as_an_update(alice):
    pet = PetFactory(owner=alice, name="Luna", species="Perro")
    pet.age = 9
    pet.save()

    newest = ActivityLog.objects.filter(entity_type="pet", entity_id=str(pet.pk)).order_by("id").last()
    assert newest.summary == "Pet Luna (Perro) updated"


def test_deleting_a_pet_names_its_reservations_by_the_pets_name(alice, staff_api):
    reservation = ReservationFactory(pet=PetFactory(owner=alice, name="Luna"))

    assert staff_api.delete(f"/api/pets/{reservation.pet_id}/").status_code == 204  # a customer may not: it has a history

    log = ActivityLog.objects.filter(entity_type="reservation", entity_id=str(reservation.pk)).order_by("id").last()
    assert log.summary == f"Reservation #{reservation.pk} for Luna deleted"
