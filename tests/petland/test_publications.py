"""PetLand's publications: the message formats of its channels, its audiences, the notifications its
changes send, and its references that a delete clears. (When and how any change is published is
realtime's, tested in examples/clinic/tests/realtime/declaring/.)"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from petland.models import Invoice, Payment, Reservation, User
from realtime.models import Event, Notification
from tests.factories import (
    EmployeeFactory,
    InvoiceFactory,
    MedicalRecordFactory,
    PaymentFactory,
    PetFactory,
    ReservationFactory,
    ServiceFactory,
)


def events(channel: str | None = None, kind: str = "realtime_update") -> list[dict]:
    rows = Event.objects.filter(type=kind).order_by("id")
    if channel:
        rows = rows.filter(channel=channel)
    return [e.payload for e in rows]


@pytest.mark.django_db
class TestMessageFormats:
    """Golden formats: the keys a frontend codes against, JSON primitives only."""

    @pytest.mark.parametrize(
        "channel, make, keys",
        [
            ("pets", lambda: PetFactory(name="Luna"), {"pet_id", "name", "species", "breed", "age", "user_id"}),
            (
                "reservations",
                lambda: ReservationFactory(),
                {"reservation_id", "user_id", "pet_id", "service_id", "checkin_date", "checkout_date", "status"},
            ),
            (
                "payments",
                lambda: PaymentFactory(),
                {"payment_id", "reservation_id", "user_id", "amount", "method", "status", "created_at"},
            ),
            (
                "invoices",
                lambda: InvoiceFactory(),
                {"invoice_id", "user_id", "reservation_id", "number", "total", "status", "issued_at"},
            ),
            (
                "medical_history",
                lambda: MedicalRecordFactory(),
                {"medical_record_id", "pet_id", "user_id", "date", "description", "diagnosis", "treatment", "veterinarian_id"},
            ),
            ("services", lambda: ServiceFactory(), {"service_id", "name", "description", "price", "duration", "active"}),
            ("employees", lambda: EmployeeFactory(), {"employee_id", "user_id", "name", "position", "hire_date", "active"}),
            (
                "activity_logs",
                lambda: PetFactory(),
                {"activity_log_id", "actor_id", "action", "entity_type", "entity_id", "summary", "created_at"},
            ),
            (
                "users",
                lambda: User.objects.create_user("zoe", password="pw-pw-pw-pw"),
                {"user_id", "username", "first_name", "last_name", "email", "is_staff", "is_active"},
            ),
        ],
    )
    def test_each_channel_data_has_its_id_and_fields(self, channel, make, keys):
        make()
        payload = events(channel)[-1]
        assert set(payload) == {"type", "entity_type", "action", "data", "timestamp"}
        assert payload["type"] == "realtime_update" and payload["entity_type"] == channel
        assert set(payload["data"]) == keys
        assert json.loads(json.dumps(payload)) == payload

    def test_pet_message_matches_the_documented_example(self, alice):
        pet = PetFactory(owner=alice, name="Luna", species="Perro", breed="Golden Retriever", age=3)
        event = Event.objects.get(channel="pets")
        payload = event.payload
        assert payload["data"] == {
            "pet_id": pet.pk,
            "name": "Luna",
            "species": "Perro",
            "breed": "Golden Retriever",
            "age": 3,
            "user_id": alice.pk,
        }
        assert payload["timestamp"].endswith("+00:00")

    def test_money_is_a_string_and_no_password_leaves_the_server(self, alice):
        PaymentFactory(amount=Decimal("12.50"))
        assert events("payments")[-1]["data"]["amount"] == "12.50"
        assert all("password" not in json.dumps(e) for e in events("users"))


@pytest.mark.django_db
class TestAudience:
    def test_medical_records_are_seen_by_the_pets_owner(self, alice):
        MedicalRecordFactory(pet__owner=alice)
        assert Event.objects.get(channel="medical_history").audience == [alice.pk]


@pytest.mark.django_db
class TestAutomaticNotifications:
    def notices(self, user) -> list[tuple[str, dict]]:
        return [(e["notification_type"], e["data"]) for e in events("users", "notification") if e["user_id"] == str(user.pk)]

    def test_pet_created(self, alice):
        pet = PetFactory(owner=alice, name="Luna")
        assert self.notices(alice) == [("pet_created", {"pet_name": "Luna", "pet_id": pet.pk})]
        assert Notification.objects.get(user=alice).type == "pet_created"

    def test_reservation_status_on_creation_and_each_change(self, alice):
        reservation = ReservationFactory(pet__owner=alice)
        reservation.status = Reservation.Status.CONFIRMED
        reservation.save()
        reservation.pet.name = "renamed"  # not a status change
        reservation.save()
        fresh = Reservation.objects.get(pk=reservation.pk)
        fresh.status = Reservation.Status.CHECKED_IN
        fresh.save()
        kinds = [kind for kind, _ in self.notices(alice) if kind.startswith("reservation_")]
        assert kinds == ["reservation_pending", "reservation_confirmed", "reservation_checked_in"]

    def test_payment_status_invoice_issued_and_medical_record_added(self, alice):
        payment = PaymentFactory(reservation__pet__owner=alice)
        payment.status = Payment.Status.COMPLETED
        payment.save()
        invoice = InvoiceFactory(user=alice)
        invoice.status = Invoice.Status.ISSUED
        invoice.save()
        MedicalRecordFactory(pet__owner=alice)
        kinds = [kind for kind, _ in self.notices(alice)]
        assert "payment_pending" in kinds and "payment_completed" in kinds
        assert kinds.count("invoice_issued") == 1 and "medical_record_added" in kinds

    def test_notifications_are_for_their_user_only(self, alice):
        PetFactory(owner=alice)
        event = Event.objects.get(type="notification")
        assert event.audience == [alice.pk] and event.staff_visible is False


@pytest.mark.django_db
class TestDeletesThatClearAReference:
    """Django clears a ``SET_NULL`` reference with ``QuerySet.update()``, which sends no signal;
    the rows it changes are published "updated" all the same."""

    def test_deleting_a_reservation_publishes_its_invoices_without_it(self, alice):
        invoice = InvoiceFactory(user=alice, reservation=ReservationFactory(user=alice, pet__owner=alice))
        before = len(events("invoices"))

        invoice.reservation.delete()

        updates = [e for e in events("invoices")[before:] if e["action"] == "updated"]
        assert [(e["data"]["invoice_id"], e["data"]["reservation_id"]) for e in updates] == [(invoice.pk, None)]
