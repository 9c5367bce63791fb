"""A new message for a participant who is not in the conversation becomes one stored
``chat_message`` notification per conversation: newer messages update it rather than pile up.
Participants: the customer, and the staff who wrote or read in the conversation."""

from __future__ import annotations

import uuid

import pytest
from channels.db import database_sync_to_async

from petland.chat import services
from realtime.models import Notification
from tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db(transaction=True)

post = database_sync_to_async(services.message_post)


@pytest.fixture(autouse=True)
def presence_of_its_own(settings):
    settings.REALTIME = {
        **settings.REALTIME,
        "PRESENCE_KEY_PREFIX": f"{settings.REALTIME['PRESENCE_KEY_PREFIX']}{uuid.uuid4().hex[:12]}:",
    }


def chat_notifications(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, type="chat_message").order_by("id"))


def test_an_absent_customer_gets_one_notification_per_conversation_updated_by_newer_messages(alice, staff):
    luna, rex = ReservationFactory(pet__owner=alice), ReservationFactory(pet__owner=alice)
    services.message_post(reservation=luna, author=staff, body="Luna ate well")
    newest = services.message_post(reservation=luna, author=staff, body="And now she sleeps. " * 10)
    services.message_post(reservation=rex, author=staff, body="Rex is fine")

    first, second = chat_notifications(alice)
    assert first.data == {
        "reservation_id": luna.pk,
        "message_id": newest.pk,
        "author_name": "Sam",
        "preview": ("And now she sleeps. " * 10)[:100],
    }
    assert second.data["reservation_id"] == rex.pk
    assert not chat_notifications(staff)  # the author is never notified

    Notification.objects.filter(pk=first.pk).update(read_at=first.created_at)  # read: the next one is new
    services.message_post(reservation=luna, author=staff, body="Pick-up at five")
    assert [n.data["preview"] for n in chat_notifications(alice)] == [first.data["preview"], "Rex is fine", "Pick-up at five"]


def test_staff_who_joined_the_conversation_are_notified_and_the_others_are_not(alice, staff, admin_staff):
    reservation = ReservationFactory(pet__owner=alice)
    services.message_post(reservation=reservation, author=alice, body="Is Luna eating?")
    assert not chat_notifications(staff) and not chat_notifications(admin_staff)

    services.message_post(reservation=reservation, author=staff, body="Yes")
    services.message_post(reservation=reservation, author=alice, body="Thanks!")

    assert [n.data["preview"] for n in chat_notifications(staff)] == ["Thanks!"]
    assert not chat_notifications(admin_staff)


async def test_a_customer_in_the_conversation_is_not_notified(open_socket, alice, staff):
    reservation = await database_sync_to_async(ReservationFactory)(pet__owner=alice)
    socket, _ = await open_socket("chat", alice)
    await socket.send({"type": "presence_join", "record_id": reservation.pk})
    await socket.receive_type("presence_state")

    await post(reservation=reservation, author=staff, body="Luna ate well")

    assert (await socket.receive_type("realtime_update"))["data"]["body"] == "Luna ate well"
    assert not await database_sync_to_async(chat_notifications)(alice)


async def chat_frames(socket) -> list[dict]:
    """The chat_message notifications a socket received before it answers a ping."""
    await socket.send({"type": "ping"})
    frames = []
    while (frame := await socket.receive()) != {"type": "pong"}:
        frames.append(frame)
    return [f for f in frames if f.get("notification_type") == "chat_message"]


async def next_chat_notification(socket) -> dict:
    while (frame := await socket.receive_type("notification"))["notification_type"] != "chat_message":
        pass
    return frame


async def test_the_updated_notification_comes_again_under_its_id_and_only_its_newest_on_a_new_socket(open_socket, alice, staff):
    reservation = await database_sync_to_async(ReservationFactory)(pet__owner=alice)
    users, _ = await open_socket("users", alice)

    await post(reservation=reservation, author=staff, body="Luna ate well")
    first = await next_chat_notification(users)
    await post(reservation=reservation, author=staff, body="She sleeps now")
    second = await next_chat_notification(users)

    assert second["notification_id"] == first["notification_id"]
    assert (first["data"]["preview"], second["data"]["preview"]) == ("Luna ate well", "She sleeps now")
    later, _ = await open_socket("users", alice)
    assert [n["data"]["preview"] for n in await chat_frames(later)] == ["She sleeps now"]  # not the first version
