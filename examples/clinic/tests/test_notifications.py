"""Personal notifications sent with ``realtime.notification_service``: on the clinic's
notification channel (``ws/visits/``) to their user only, stored, and sent again on every new
socket until a client confirms them with ``ack``."""

from __future__ import annotations

import pytest

import realtime

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_notification_reaches_its_user_only_with_its_notification_id(open_socket, alice, bob):
    alice_socket, _ = await open_socket("visits", alice)
    bob_socket, _ = await open_socket("visits", bob)

    notification_id = await realtime.notification_service.send_success_notification(
        user_id=alice.pk, success_message="Luna's visit is booked"
    )

    notification = await alice_socket.receive()
    assert notification["type"] == "notification" and notification["notification_type"] == "success"
    assert notification["notification_id"] == notification_id
    assert notification["user_id"] == str(alice.pk)
    assert notification["data"] == {"message": "Luna's visit is booked"}
    assert await bob_socket.nothing_more()


async def test_a_stored_notification_comes_again_on_each_new_socket_until_it_is_acked(open_socket, alice):
    notification_id = await realtime.notification_service.send_notification(alice.pk, "visit_reminder", {"pet_name": "Luna"})

    for _ in range(2):  # not confirmed: again on the next socket
        socket, ready = await open_socket("visits", alice)
        again = await socket.receive()
        assert again["notification_id"] == notification_id and again["event_id"] <= ready["last_event_id"]
        await socket.communicator.disconnect()

    await socket_that_acks(open_socket, alice, notification_id)
    socket, _ = await open_socket("visits", alice)
    assert await socket.nothing_more()


async def socket_that_acks(open_socket, user, notification_id: int) -> None:
    socket, _ = await open_socket("visits", user)
    assert (await socket.receive())["notification_id"] == notification_id
    await socket.send({"type": "ack", "ids": [notification_id]})
    await socket.send({"type": "ping"})  # answered after the ack is handled
    assert (await socket.receive())["type"] == "pong"
    await socket.communicator.disconnect()


def test_a_notification_for_nobody_is_refused_and_stores_nothing(alice, client):
    with pytest.raises(ValueError):
        realtime.notification_service.sync.send_notification(10_000, "visit_reminder", {})
    client.force_login(alice)
    assert client.get("/api/notifications/").json() == []


def test_the_rest_api_lists_a_users_own_notifications_only(alice, bob, client):
    realtime.notification_service.sync.send_success_notification(user_id=alice.pk, success_message="Done")
    client.force_login(alice)
    assert [n["data"] for n in client.get("/api/notifications/").json()] == [{"message": "Done"}]
    client.force_login(bob)
    assert client.get("/api/notifications/").json() == []
