"""Which changes become events, with what content, and when they are published."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import transaction

from petland.models import Invoice, Payment, Pet, Reservation, User
from realtime.log import selectors
from realtime.models import Event, Notification
from realtime.declaring.notifications import notification_service
from realtime.declaring.publishing import publish_instances
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
class TestWhenEventsArePublished:
    def test_nothing_is_published_before_commit_and_the_change_is_published_after(
        self, django_capture_on_commit_callbacks, alice
    ):
        with django_capture_on_commit_callbacks() as callbacks:
            PetFactory(owner=alice, name="Luna")
            assert Event.objects.filter(channel="pets", seq__isnull=False).count() == 0
        assert callbacks, "publishing must wait for commit"
        for callback in callbacks:
            callback()
        numbered = Event.objects.get(channel="pets")
        assert numbered.seq is not None and numbered.payload["data"]["name"] == "Luna"

    def test_rolled_back_change_leaves_no_event(self, alice):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                PetFactory(owner=alice)
                raise RuntimeError("boom")
        assert events("pets") == []

    def test_change_in_rolled_back_savepoint_publishes_nothing_while_outer_commits(
        self, django_capture_on_commit_callbacks, alice
    ):
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                PetFactory(owner=alice, name="Kept")
                try:
                    with transaction.atomic():
                        PetFactory(owner=alice, name="Rolled back")
                        raise RuntimeError
                except RuntimeError:
                    pass
        assert [e["data"]["name"] for e in events("pets")] == ["Kept"]
        assert selectors.last_seq() == Event.objects.count()

    def test_event_ids_are_dense_and_in_publication_order(self, django_capture_on_commit_callbacks, alice):
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(3):
                PetFactory(owner=alice)
        seqs = list(Event.objects.order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))


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

    def test_delete_carries_the_records_last_data(self, alice):
        pet = PetFactory(owner=alice, name="Gone")
        pet_id = pet.pk
        pet.delete()
        deleted = events("pets")[-1]
        assert deleted["action"] == "deleted" and deleted["data"]["pet_id"] == pet_id
        assert deleted["data"]["name"] == "Gone"


@pytest.mark.django_db
class TestAudience:
    def test_audience_is_the_owner_computed_when_the_event_is_made(self, alice, bob):
        pet = PetFactory(owner=alice)
        event = Event.objects.get(channel="pets", record_id=str(pet.pk))
        assert event.audience == [alice.pk]
        pet.owner = bob
        pet.save()
        assert Event.objects.filter(channel="pets").order_by("id").last().audience == [bob.pk]

    def test_medical_records_are_seen_by_the_pets_owner(self, alice):
        MedicalRecordFactory(pet__owner=alice)
        assert Event.objects.get(channel="medical_history").audience == [alice.pk]

    def test_services_are_public(self):
        ServiceFactory()
        assert Event.objects.get(channel="services").public


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
class TestNotificationService:
    def test_success_and_error_notifications(self, alice):
        notification_service.sync.send_success_notification(user_id=str(alice.pk), success_message="Mascota creada exitosamente")
        notification_service.sync.send_error_notification(user_id=alice.pk, error_message="Error al crear mascota")
        assert [(e["notification_type"], e["data"]) for e in events("users", "notification")] == [
            ("success", {"message": "Mascota creada exitosamente"}),
            ("error", {"message": "Error al crear mascota"}),
        ]

    def test_send_entity_update_publishes_on_its_channel(self, alice):
        notification_service.sync.send_pet_update("updated", {"pet_id": 7, "name": "Luna", "user_id": alice.pk})
        event = Event.objects.get(channel="pets")
        assert event.payload["action"] == "updated" and event.audience == [alice.pk]
        notification_service.sync.send_medical_record_update("created", {"medical_record_id": 1})
        assert Event.objects.filter(channel="medical_history").count() == 1

    def test_bad_calls_raise_clear_errors_and_store_nothing(self, alice):
        before = Event.objects.count()
        with pytest.raises(ValueError, match="no user"):
            notification_service.sync.send_notification(999999, "x", {})
        with pytest.raises(ValueError, match="action"):
            notification_service.sync.send_pet_update("exploded", {})
        with pytest.raises(ValueError, match="entity_type"):
            notification_service.sync.send_realtime_update("kittens", "created", {})
        with pytest.raises(AttributeError):
            notification_service.sync.send_kitten_update  # noqa: B018 - the lookup itself must fail
        with pytest.raises(TypeError, match="JSON"):
            notification_service.sync.send_notification(alice.pk, "x", {"when": object()})
        assert Event.objects.count() == before

    def test_call_inside_a_transaction_is_published_after_commit(self, django_capture_on_commit_callbacks, alice):
        with django_capture_on_commit_callbacks() as callbacks:
            with transaction.atomic():
                notification_service.sync.send_success_notification(alice.pk, "ok")
        sent = Event.objects.get(type="notification")
        assert sent.seq is None
        for callback in callbacks:
            callback()
        sent.refresh_from_db()
        assert sent.seq is not None


@pytest.mark.django_db(transaction=True)
async def test_async_notification_service(alice):
    await notification_service.send_success_notification(user_id=str(alice.pk), success_message="hola")
    await notification_service.send_pet_update("created", {"pet_id": 1, "user_id": alice.pk})
    from channels.db import database_sync_to_async

    sent = await database_sync_to_async(lambda: [e["data"] for e in events("users", "notification") + events("pets")])()
    assert sent == [{"message": "hola"}, {"pet_id": 1, "user_id": alice.pk}]


@pytest.mark.django_db
def test_queryset_update_sends_no_signal_but_publish_instances_publishes(alice):
    PetFactory.create_batch(2, owner=alice, species="Gato")
    before = len(events("pets"))
    Pet.objects.filter(owner=alice).update(species="Perro")
    assert len(events("pets")) == before
    assert publish_instances(Pet.objects.filter(owner=alice)) == 2
    assert [e["data"]["species"] for e in events("pets")[before:]] == ["Perro", "Perro"]


@pytest.mark.django_db
class TestDeletesThatClearAReference:
    """Django clears a ``SET_NULL`` reference with ``QuerySet.update()``, which sends no signal;
    the rows it changes are published "updated" all the same."""

    def test_deleting_a_veterinarian_publishes_their_medical_records_without_them(self, alice):
        vet = EmployeeFactory()
        record = MedicalRecordFactory(pet__owner=alice, veterinarian=vet)
        before = len(events("medical_history"))

        vet.delete()

        [update] = events("medical_history")[before:]
        assert update["action"] == "updated"
        assert update["data"]["medical_record_id"] == record.pk and update["data"]["veterinarian_id"] is None
        assert Event.objects.filter(channel="medical_history").last().audience == [alice.pk]

    def test_deleting_a_reservation_publishes_its_invoices_without_it(self, alice):
        invoice = InvoiceFactory(user=alice, reservation=ReservationFactory(user=alice, pet__owner=alice))
        before = len(events("invoices"))

        invoice.reservation.delete()

        updates = [e for e in events("invoices")[before:] if e["action"] == "updated"]
        assert [(e["data"]["invoice_id"], e["data"]["reservation_id"]) for e in updates] == [(invoice.pk, None)]

    def test_a_delete_that_clears_nothing_publishes_only_itself(self, alice):
        vet = EmployeeFactory()
        MedicalRecordFactory(pet__owner=alice)  # someone else's patient
        before = len(events("medical_history"))

        vet.delete()

        assert events("medical_history")[before:] == []
