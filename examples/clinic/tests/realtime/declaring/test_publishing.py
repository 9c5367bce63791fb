"""Which changes become events, with what content, and when they are published."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from realtime.declaring.notifications import notification_service
from realtime.declaring.publishing import publish_instances
from realtime.log import selectors
from realtime.models import Event
from tests.factories import TreatmentFactory, VetFactory, VisitFactory
from visits.models import Visit


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
            VisitFactory(owner=alice, pet_name="Luna")
            assert Event.objects.filter(channel="visits", seq__isnull=False).count() == 0
        assert callbacks, "publishing must wait for commit"
        for callback in callbacks:
            callback()
        numbered = Event.objects.get(channel="visits")
        assert numbered.seq is not None and numbered.payload["data"]["pet_name"] == "Luna"

    def test_rolled_back_change_leaves_no_event(self, alice):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                VisitFactory(owner=alice)
                raise RuntimeError("boom")
        assert events("visits") == []

    def test_change_in_rolled_back_savepoint_publishes_nothing_while_outer_commits(
        self, django_capture_on_commit_callbacks, alice
    ):
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                VisitFactory(owner=alice, pet_name="Kept")
                try:
                    with transaction.atomic():
                        VisitFactory(owner=alice, pet_name="Rolled back")
                        raise RuntimeError
                except RuntimeError:
                    pass
        assert [e["data"]["pet_name"] for e in events("visits")] == ["Kept"]
        assert selectors.last_seq() == Event.objects.count()

    def test_event_ids_are_dense_and_in_publication_order(self, django_capture_on_commit_callbacks, alice):
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(3):
                VisitFactory(owner=alice)
        seqs = list(Event.objects.order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.django_db
def test_delete_carries_the_records_last_data(alice):
    visit = VisitFactory(owner=alice, pet_name="Gone")
    visit_id = visit.pk
    visit.delete()
    deleted = events("visits")[-1]
    assert deleted["action"] == "deleted" and deleted["data"]["visit_id"] == visit_id
    assert deleted["data"]["pet_name"] == "Gone"


@pytest.mark.django_db
class TestAudience:
    def test_audience_is_the_owner_computed_when_the_event_is_made(self, alice, bob):
        visit = VisitFactory(owner=alice)
        event = Event.objects.get(channel="visits", record_id=str(visit.pk))
        assert event.audience == [alice.pk]
        visit.owner = bob
        visit.save()
        assert Event.objects.filter(channel="visits").order_by("id").last().audience == [bob.pk]

    def test_a_public_channels_events_are_public(self):
        TreatmentFactory()
        assert Event.objects.get(channel="treatments").public


@pytest.mark.django_db
class TestNotificationService:
    def test_success_and_error_notifications(self, alice):
        notification_service.sync.send_success_notification(user_id=str(alice.pk), success_message="Luna's visit is booked")
        notification_service.sync.send_error_notification(user_id=alice.pk, error_message="The visit could not be booked")
        assert [(e["notification_type"], e["data"]) for e in events("visits", "notification")] == [
            ("success", {"message": "Luna's visit is booked"}),
            ("error", {"message": "The visit could not be booked"}),
        ]

    def test_send_entity_update_publishes_on_its_channel(self, alice):
        notification_service.sync.send_visit_update("updated", {"visit_id": 7, "pet_name": "Luna", "user_id": alice.pk})
        event = Event.objects.get(channel="visits")
        assert event.payload["action"] == "updated" and event.audience == [alice.pk]
        notification_service.sync.send_treatment_update("created", {"treatment_id": 1})
        assert Event.objects.filter(channel="treatments").count() == 1

    def test_bad_calls_raise_clear_errors_and_store_nothing(self, alice):
        before = Event.objects.count()
        with pytest.raises(ValueError, match="no user"):
            notification_service.sync.send_notification(999999, "x", {})
        with pytest.raises(ValueError, match="action"):
            notification_service.sync.send_visit_update("exploded", {})
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
    await notification_service.send_visit_update("created", {"visit_id": 1, "user_id": alice.pk})

    sent = await database_sync_to_async(lambda: [e["data"] for e in events("visits", "notification") + events("visits")])()
    assert sent == [{"message": "hola"}, {"visit_id": 1, "user_id": alice.pk}]


@pytest.mark.django_db
def test_queryset_update_sends_no_signal_but_publish_instances_publishes(alice):
    VisitFactory.create_batch(2, owner=alice, status=Visit.Status.BOOKED)
    before = len(events("visits"))
    Visit.objects.filter(owner=alice).update(status=Visit.Status.DONE)
    assert len(events("visits")) == before
    assert publish_instances(Visit.objects.filter(owner=alice)) == 2
    assert [e["data"]["status"] for e in events("visits")[before:]] == ["done", "done"]


@pytest.mark.django_db
class TestDeletesThatClearAReference:
    """Django clears a ``SET_NULL`` reference with ``QuerySet.update()``, which sends no signal;
    the rows it changes are published "updated" all the same."""

    def test_deleting_a_vet_publishes_their_visits_without_them(self, alice):
        vet = VetFactory()
        visit = VisitFactory(owner=alice, vet=vet)
        before = len(events("visits"))

        vet.delete()

        [update] = events("visits")[before:]
        assert update["action"] == "updated"
        assert update["data"]["visit_id"] == visit.pk and update["data"]["vet_id"] is None
        assert Event.objects.filter(channel="visits").last().audience == [alice.pk]

    def test_a_delete_that_clears_nothing_publishes_only_itself(self, alice):
        vet = VetFactory()
        VisitFactory(owner=alice)  # another vet's patient
        before = len(events("visits"))

        vet.delete()

        assert events("visits")[before:] == []
