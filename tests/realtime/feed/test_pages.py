"""``GET /api/events/``: pages of the change feed after a cursor, filtered by channel and by
what the reader may see; bad parameters refused; a cursor the log no longer serves told to resync."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from realtime.declaring.notifications import notification_service
from realtime.log import selectors
from realtime.models import Event
from tests.factories import InvoiceFactory, PaymentFactory, PetFactory
from tests.realtime.feed.conftest import key_client, key_for, read_feed

pytestmark = pytest.mark.django_db(transaction=True)


def invoice_numbers(events: list[dict]) -> list[str]:
    return [event["data"]["number"] for event in events if event.get("entity_type") == "invoices"]


class TestPaging:
    def test_events_after_the_cursor_come_oldest_first_as_the_socket_sends_them(self, accounting, alice):
        before = selectors.last_seq()
        InvoiceFactory(user=alice, number="INV-1")
        InvoiceFactory(user=alice, number="INV-2")

        status, body = read_feed(accounting, after=before, channels="invoices")

        assert status == 200
        assert invoice_numbers(body["events"]) == ["INV-1", "INV-2"]
        first = body["events"][0]
        assert set(first) == {"type", "entity_type", "action", "data", "timestamp", "event_id"}
        assert first["type"] == "realtime_update" and first["action"] == "created"
        assert [e["event_id"] for e in body["events"]] == sorted(e["event_id"] for e in body["events"])
        assert body["last_event_id"] == selectors.last_seq() and body["has_more"] is False

    def test_a_limit_splits_the_feed_into_pages_that_follow_each_other(self, accounting, alice):
        before = selectors.last_seq()
        for n in range(5):
            InvoiceFactory(user=alice, number=f"INV-{n}")

        status, first = read_feed(accounting, after=before, channels="invoices", limit=2)
        _, second = read_feed(accounting, after=first["last_event_id"], channels="invoices", limit=2)
        _, third = read_feed(accounting, after=second["last_event_id"], channels="invoices", limit=2)

        assert status == 200
        assert invoice_numbers(first["events"]) == ["INV-0", "INV-1"] and first["has_more"] is True
        assert first["last_event_id"] == first["events"][-1]["event_id"]
        assert invoice_numbers(second["events"]) == ["INV-2", "INV-3"] and second["has_more"] is True
        assert invoice_numbers(third["events"]) == ["INV-4"] and third["has_more"] is False

    def test_a_reader_that_is_up_to_date_gets_an_empty_page_and_keeps_its_place(self, accounting, alice):
        InvoiceFactory(user=alice)
        newest = selectors.last_seq()

        status, body = read_feed(accounting, after=newest)

        assert (status, body) == (200, {"events": [], "last_event_id": newest, "has_more": False})

    def test_the_cursor_moves_past_events_of_other_channels(self, accounting, alice):
        before = selectors.last_seq()
        PetFactory(owner=alice)  # events on pets (and users), which the key does not read

        status, body = read_feed(accounting, after=before)

        assert status == 200 and body["events"] == []
        assert body["last_event_id"] == selectors.last_seq() > before


class TestChannels:
    def test_only_the_channels_asked_for_are_read(self, staff_api, alice):
        before = selectors.last_seq()
        InvoiceFactory(user=alice, number="INV-7")
        PetFactory(owner=alice, name="Luna")

        _, invoices = read_feed(staff_api, after=before, channels="invoices")
        _, pets = read_feed(staff_api, after=before, channels="pets")
        _, both = read_feed(staff_api, after=before, channels="pets,invoices")

        assert {e["entity_type"] for e in invoices["events"]} == {"invoices"}
        assert [e["data"]["name"] for e in pets["events"]] == ["Luna"]
        assert {e["entity_type"] for e in both["events"]} == {"invoices", "pets"}

    def test_a_key_reads_only_its_channels_when_it_names_none(self, accounting, alice):
        before = selectors.last_seq()
        PaymentFactory(reservation__pet__owner=alice)  # also a user, a pet and a reservation

        _, body = read_feed(accounting, after=before)

        assert {e["entity_type"] for e in body["events"]} == {"payments"}

    def test_an_unknown_channel_is_refused_by_name(self, staff_api):
        status, body = read_feed(staff_api, channels="invoices,ledger")

        assert status == 400
        assert body == {"channels": ["Unknown channel(s): ledger."]}

    def test_a_channel_outside_the_keys_scope_is_refused_by_name(self, accounting):
        status, body = read_feed(accounting, channels="invoices,medical_history")

        assert status == 403
        assert "medical_history" in body["detail"]


class TestVisibility:
    def test_staff_read_every_record_event_and_only_their_own_notifications(self, staff, staff_api, alice):
        before = selectors.last_seq()
        InvoiceFactory(user=alice, number="INV-9")
        notification_service.sync.send_notification(alice.pk, "invoice_due", {"number": "INV-9"})
        notification_service.sync.send_notification(staff.pk, "shift_changed", {"day": "monday"})

        _, body = read_feed(staff_api, after=before)

        assert invoice_numbers(body["events"]) == ["INV-9"]
        notifications = [e for e in body["events"] if e["type"] == "notification"]
        assert [(n["notification_type"], n["user_id"]) for n in notifications] == [("shift_changed", str(staff.pk))]

    def test_a_key_reads_no_users_notifications_even_on_the_users_channel(self, staff, alice):
        client = key_client(key_for("users", "invoices"))
        before = selectors.last_seq()
        InvoiceFactory(user=alice)
        notification_service.sync.send_notification(alice.pk, "invoice_due", {"number": "INV-9"})
        notification_service.sync.send_notification(staff.pk, "shift_changed", {"day": "monday"})

        _, body = read_feed(client, after=before)

        assert invoice_numbers(body["events"])
        assert not [e for e in body["events"] if e["type"] == "notification"]

    def test_customers_are_refused(self, alice_api, alice):
        InvoiceFactory(user=alice)

        status, body = read_feed(alice_api)

        assert status == 403 and "events" not in body

    def test_the_stream_is_only_served_by_the_asgi_server(self, staff_api):
        response = staff_api.get("/api/events/stream")

        assert response.status_code == 501 and "ASGI" in response.json()["detail"]

    def test_anonymous_requests_are_asked_for_credentials(self, anonymous_api):
        response = anonymous_api.get("/api/events/")

        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Api-Key"


class TestBadParameters:
    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"after": "abc"}, "after"),
            ({"after": "-1"}, "after"),
            ({"limit": "0"}, "limit"),
            ({"limit": "1001"}, "limit"),
            ({"limit": "ten"}, "limit"),
            ({"wait": "31"}, "wait"),
            ({"wait": "-2"}, "wait"),
        ],
    )
    def test_a_bad_parameter_is_refused_naming_it(self, staff_api, params, field):
        status, body = read_feed(staff_api, **params)

        assert status == 400
        assert list(body) == [field] and body[field][0]

    def test_the_limit_may_be_as_high_as_a_thousand(self, staff_api):
        assert read_feed(staff_api, limit=1000)[0] == 200


class TestResync:
    def test_a_cursor_older_than_the_retention_gets_410_and_resync_required(self, accounting, alice):
        start = selectors.last_seq()
        InvoiceFactory(user=alice)
        InvoiceFactory(user=alice)
        Event.objects.filter(seq__lte=start + 1).update(created_at=timezone.now() - timedelta(days=30))
        call_command("prune_events")

        status, body = read_feed(accounting, after=start)

        assert status == 410
        assert body == {"type": "resync_required", "last_event_id": selectors.last_seq()}

    def test_a_cursor_the_log_never_handed_out_gets_410(self, accounting):
        status, body = read_feed(accounting, after=selectors.last_seq() + 1000)

        assert status == 410 and body["type"] == "resync_required"

    def test_the_oldest_kept_events_are_still_served(self, accounting, alice):
        start = selectors.last_seq()
        InvoiceFactory(user=alice, number="INV-old")
        Event.objects.filter(seq__lte=start).update(created_at=timezone.now() - timedelta(days=30))
        call_command("prune_events")

        status, body = read_feed(accounting, after=start)

        assert status == 200 and invoice_numbers(body["events"]) == ["INV-old"]
