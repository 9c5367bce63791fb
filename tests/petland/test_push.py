"""What PetLand's notifications say as pushes (petland.push, REALTIME["WEBPUSH_CONTENT"])."""

from __future__ import annotations

import pytest

from petland.push import push_content
from realtime.models import Notification

pytestmark = pytest.mark.django_db


def notification(user, kind: str, **data) -> Notification:
    return Notification.objects.create(user=user, type=kind, data=data)


def test_a_chat_message_is_urgent_and_replaces_the_older_ones_of_its_conversation(alice):
    content = push_content(notification(alice, "chat_message", reservation_id=7, text="Rex ate well", sender_name="Sam"))
    assert (content.title, content.body, content.urgency) == ("Sam", "Rex ate well", "high")
    assert content.topic == content.tag == "chat-7"
    assert content.url == "/?reservation=7"
    assert push_content(notification(alice, "chat_message", reservation_id=8, text="x")).topic == "chat-8"


def test_a_reservation_status_says_which_reservation_and_its_new_status(alice):
    content = push_content(notification(alice, "reservation_confirmed", reservation_id=3, status="confirmed"))
    assert (content.title, content.urgency) == ("Reservation confirmed", "normal")
    assert content.body == "Your reservation #3 is now confirmed."
    assert push_content(notification(alice, "reservation_cancelled", reservation_id=3, status="cancelled")).urgency == "high"


def test_other_notifications_have_a_title_and_a_body(alice):
    assert push_content(notification(alice, "invoice_issued", number="F-1", total="10.00")).body == "Invoice F-1 for 10.00."
    assert push_content(notification(alice, "payment_failed", amount="5.00", status="failed")).urgency == "high"
    assert push_content(notification(alice, "success", message="Done")).body == "Done"
