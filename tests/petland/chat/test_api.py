"""The chat's REST contract (issue 16): history pages, posting, the edit window, deletes, the read
marker, the conversations list with unread counts, 404 for a stranger, 429 past 10 in 10 s."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from petland.models import Message
from tests.factories import ReservationFactory
from tests.petland.chat.factories import MessageFactory

pytestmark = pytest.mark.django_db

MESSAGE_FIELDS = {"id", "reservation", "author", "author_name", "body", "created_at", "edited_at", "deleted"}


@pytest.fixture
def reservation(alice):
    return ReservationFactory(pet__owner=alice)


def messages_url(reservation, suffix=""):
    return f"/api/reservations/{reservation.pk}/messages/{suffix}"


def test_a_customer_and_staff_talk_about_her_reservation(alice_api, staff_api, reservation, alice, staff):
    asked = alice_api.post(messages_url(reservation), {"body": "Is Luna eating?"}, format="json")
    answered = staff_api.post(messages_url(reservation), {"body": "Yes, <b>all</b> of it"}, format="json")

    assert asked.status_code == 201 and answered.status_code == 201
    assert set(asked.json()) == MESSAGE_FIELDS
    assert asked.json()["author"] == alice.pk and asked.json()["author_name"] == "Alice"
    history = alice_api.get(messages_url(reservation)).json()
    said = [(m["author_name"], m["body"]) for m in history["results"]]
    assert said == [("Alice", "Is Luna eating?"), ("Sam", "Yes, <b>all</b> of it")]
    assert history["next"] is None


def test_history_pages_go_back_from_the_newest(alice_api, reservation):
    made = [MessageFactory(reservation=reservation, body=f"m{n}") for n in range(7)]

    first = alice_api.get(messages_url(reservation), {"limit": 3}).json()
    assert [m["body"] for m in first["results"]] == ["m4", "m5", "m6"]  # newest page, ascending
    second = alice_api.get(first["next"]).json()
    assert [m["body"] for m in second["results"]] == ["m1", "m2", "m3"]
    third = alice_api.get(second["next"]).json()
    assert [m["body"] for m in third["results"]] == ["m0"] and third["next"] is None
    assert len(alice_api.get(messages_url(reservation), {"before": made[2].pk}).json()["results"]) == 2


def test_at_most_100_a_page_and_50_by_default(alice_api, reservation):
    Message.objects.bulk_create([Message(reservation=reservation, author=reservation.user, body=f"m{n}") for n in range(120)])

    assert len(alice_api.get(messages_url(reservation)).json()["results"]) == 50
    assert len(alice_api.get(messages_url(reservation), {"limit": 500}).json()["results"]) == 100
    for bad in [{"limit": "0"}, {"limit": "ten"}, {"before": "-1"}]:
        response = alice_api.get(messages_url(reservation), bad)
        assert response.status_code == 400 and set(response.json()) == set(bad)


@pytest.mark.parametrize("body", ["", "   ", "x" * 2001, 42, None, ["hi"]])
def test_a_bad_body_is_a_400_naming_the_field_and_nothing_is_stored(alice_api, reservation, body):
    response = alice_api.post(messages_url(reservation), {"body": body}, format="json")

    assert response.status_code == 400 and list(response.json()) == ["body"]
    assert not Message.objects.exists()


def test_a_stranger_gets_404_everywhere_as_for_the_reservation(bob_api, anonymous_api, reservation):
    message = MessageFactory(reservation=reservation)
    assert bob_api.get(f"/api/reservations/{reservation.pk}/").status_code == 404
    for method, url, body in [
        ("get", messages_url(reservation), None),
        ("post", messages_url(reservation), {"body": "Let me in"}),
        ("patch", messages_url(reservation, f"{message.pk}/"), {"body": "Mine now"}),
        ("delete", messages_url(reservation, f"{message.pk}/"), None),
        ("post", messages_url(reservation, "read/"), {"up_to": message.pk}),
    ]:
        assert getattr(bob_api, method)(url, body, format="json").status_code == 404, (method, url)
        assert getattr(anonymous_api, method)(url, body, format="json").status_code == 401, (method, url)
    assert bob_api.get("/api/conversations/").json()["results"] == []
    assert Message.objects.get().body == message.body


def test_the_author_edits_within_15_minutes(alice_api, staff_api, reservation):
    mid = alice_api.post(messages_url(reservation), {"body": "Is Luna eating?"}, format="json").json()["id"]

    edited = alice_api.patch(messages_url(reservation, f"{mid}/"), {"body": "Is Luna eating well?"}, format="json")
    assert edited.status_code == 200 and edited.json()["body"] == "Is Luna eating well?" and edited.json()["edited_at"]
    assert staff_api.patch(messages_url(reservation, f"{mid}/"), {"body": "No"}, format="json").status_code == 403
    assert alice_api.patch(messages_url(reservation, f"{mid}/"), {"body": ""}, format="json").status_code == 400

    Message.objects.filter(pk=mid).update(created_at=timezone.now() - timedelta(minutes=15, seconds=5))
    late = alice_api.patch(messages_url(reservation, f"{mid}/"), {"body": "Too late"}, format="json")
    assert late.status_code == 403
    assert Message.objects.get(pk=mid).body == "Is Luna eating well?"


def test_a_deleted_message_keeps_its_place(alice_api, staff_api, reservation):
    first = alice_api.post(messages_url(reservation), {"body": "Oops, wrong pet"}, format="json").json()["id"]
    old = MessageFactory(reservation=reservation, body="An old one")
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))

    assert alice_api.delete(messages_url(reservation, f"{first}/")).status_code == 204
    assert alice_api.delete(messages_url(reservation, f"{old.pk}/")).status_code == 403  # past her window
    assert staff_api.delete(messages_url(reservation, f"{old.pk}/")).status_code == 204  # staff any time

    results = alice_api.get(messages_url(reservation)).json()["results"]
    assert [(m["id"], m["deleted"], m["body"]) for m in results] == [(first, True, ""), (old.pk, True, "")]


def test_the_read_marker_moves_forward_only(alice_api, reservation):
    first, second = MessageFactory(reservation=reservation), MessageFactory(reservation=reservation)

    moved = alice_api.post(messages_url(reservation, "read/"), {"up_to": second.pk}, format="json")
    back = alice_api.post(messages_url(reservation, "read/"), {"up_to": first.pk}, format="json")

    assert moved.json() == {"reservation": reservation.pk, "up_to": second.pk}
    assert back.status_code == 200 and back.json()["up_to"] == second.pk
    for bad in [{}, {"up_to": "x"}, {"up_to": second.pk + 1000}]:
        response = alice_api.post(messages_url(reservation, "read/"), bad, format="json")
        assert response.status_code == 400 and list(response.json()) == ["up_to"]


def test_conversations_list_unread_counts_newest_activity_first(alice_api, staff_api, alice, bob, staff, reservation):
    older = ReservationFactory(pet__owner=alice)
    bobs = ReservationFactory(pet__owner=bob)
    MessageFactory(reservation=older, author=staff, body="Your other pet is fine")
    MessageFactory(reservation=bobs, author=bob, body="Bob asks")
    MessageFactory(reservation=reservation, author=alice, body="Is Luna eating?")
    answer = MessageFactory(reservation=reservation, author=staff, body="Yes")
    ReservationFactory(pet__owner=alice)  # no messages: no conversation

    listed = alice_api.get("/api/conversations/").json()
    assert listed["count"] == 2
    assert [(row["reservation"], row["unread"]) for row in listed["results"]] == [(reservation.pk, 1), (older.pk, 1)]
    assert listed["results"][0]["last_message"]["id"] == answer.pk
    assert set(listed["results"][0]["last_message"]) == MESSAGE_FIELDS

    alice_api.post(messages_url(reservation, "read/"), {"up_to": answer.pk}, format="json")
    unread = alice_api.get("/api/conversations/", {"unread": "true"}).json()["results"]
    assert [row["reservation"] for row in unread] == [older.pk]
    staff_rows = staff_api.get("/api/conversations/").json()["results"]
    assert [(row["reservation"], row["unread"]) for row in staff_rows] == [(reservation.pk, 1), (bobs.pk, 1), (older.pk, 0)]


def test_more_than_10_messages_in_10_seconds_in_one_conversation_is_a_429(alice_api, alice, reservation):
    other = ReservationFactory(pet__owner=alice)
    statuses = [alice_api.post(messages_url(reservation), {"body": f"m{n}"}, format="json").status_code for n in range(11)]

    assert statuses == [201] * 10 + [429]
    assert Message.objects.filter(reservation=reservation).count() == 10
    assert alice_api.post(messages_url(other), {"body": "Another conversation"}, format="json").status_code == 201
    assert alice_api.get(messages_url(reservation)).status_code == 200  # reading is not counted


def test_the_schema_documents_the_chat_routes(anonymous_api):
    schema = anonymous_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/reservations/{reservation_id}/messages/"])
    assert {"patch", "delete"} <= set(paths["/api/reservations/{reservation_id}/messages/{message_id}/"])
    assert "post" in paths["/api/reservations/{reservation_id}/messages/read/"]
    assert "get" in paths["/api/conversations/"]
