"""The chat's writes and reads, below the API: edit window, soft delete, a read marker that only
moves forward, and unread counts per participant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from petland.chat import selectors, services
from petland.models import Message
from petland.services import Forbidden
from realtime.models import Event
from tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reservation(alice):
    return ReservationFactory(pet__owner=alice)


def post(reservation, author, body="Is Luna eating?"):
    return services.message_post(reservation=reservation, author=author, body=body)


def test_a_message_needs_a_body_of_at_most_2000_characters(reservation, alice):
    for body in ["", "   ", "x" * 2001]:
        with pytest.raises(ValidationError) as refused:
            post(reservation, alice, body)
        assert "body" in refused.value.message_dict
    assert not Message.objects.exists()
    assert post(reservation, alice, "x" * 2000).body == "x" * 2000


def test_the_author_edits_within_15_minutes_and_nobody_else(reservation, alice, staff):
    message = post(reservation, alice)
    with pytest.raises(Forbidden):
        services.message_edit(message=message, actor=staff, body="Staff may not rewrite it")
    edited = services.message_edit(message=message, actor=alice, body="Is Luna eating well?")
    assert edited.body == "Is Luna eating well?" and edited.edited_at is not None

    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    message.refresh_from_db()
    with pytest.raises(Forbidden):
        services.message_edit(message=message, actor=alice, body="Too late")
    assert Message.objects.get(pk=message.pk).body == "Is Luna eating well?"


def test_a_deleted_message_keeps_its_place_with_an_empty_body(reservation, alice, staff):
    first, second = post(reservation, alice), post(reservation, alice, "Second")
    Message.objects.filter(pk=second.pk).update(created_at=timezone.now() - timedelta(hours=2))
    second.refresh_from_db()
    with pytest.raises(Forbidden):
        services.message_delete(message=second, actor=alice)  # past her window
    services.message_delete(message=second, actor=staff)  # staff at any time
    services.message_delete(message=first, actor=alice)

    page = selectors.history_page(reservation)
    assert [(m.pk, m.deleted, m.body) for m in page.messages] == [(first.pk, True, ""), (second.pk, True, "")]


def test_the_read_marker_moves_forward_only_and_publishes_each_move(reservation, alice, staff):
    first, second = post(reservation, staff, "Luna ate well"), post(reservation, staff, "And slept")
    services.read_marker_move(reservation=reservation, reader=alice, up_to=second.pk)
    services.read_marker_move(reservation=reservation, reader=alice, up_to=first.pk)

    assert selectors.read_marker(reservation, alice) == second.pk
    reads = [e.payload for e in Event.objects.filter(channel="chat").order_by("id") if e.payload["action"] == "read"]
    assert [r["data"] for r in reads] == [
        {"reservation_id": reservation.pk, "user_id": alice.pk, "reader_id": alice.pk, "up_to": second.pk}
    ]
    with pytest.raises(ValidationError) as refused:
        services.read_marker_move(reservation=reservation, reader=alice, up_to=second.pk + 100)
    assert "up_to" in refused.value.message_dict


def test_unread_counts_are_the_others_messages_after_the_marker(reservation, alice, bob, staff):
    other = ReservationFactory(pet__owner=bob)
    post(other, bob, "Bob's question")
    mine = post(reservation, alice)
    answer = post(reservation, staff, "Yes")
    post(reservation, staff, "She loves the park")

    [row] = selectors.conversations(alice)
    assert (row.pk, row.unread) == (reservation.pk, 2)
    services.read_marker_move(reservation=reservation, reader=alice, up_to=answer.pk)
    assert selectors.conversations(alice).get().unread == 1
    staff_rows = {row.pk: row.unread for row in selectors.conversations(staff)}
    assert staff_rows == {reservation.pk: 1, other.pk: 1}  # alice's and bob's own messages
    assert list(selectors.conversations(staff))[0].pk == reservation.pk  # newest activity first
    services.read_marker_move(reservation=reservation, reader=staff, up_to=mine.pk)
    assert [row.pk for row in selectors.conversations(staff, unread_only=True)] == [other.pk]
