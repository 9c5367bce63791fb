"""The ``chat`` channel (issue 16): who hears a conversation, the read marker's event, narrowing
to some conversations with ``subscribe``, and resume across a disconnect."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from petland.chat import services
from tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db(transaction=True)

DATA_FIELDS = "message_id reservation_id user_id author_id author_name body created_at edited_at deleted".split()

post = database_sync_to_async(services.message_post)
mark_read = database_sync_to_async(services.read_marker_move)
new_reservation = database_sync_to_async(ReservationFactory)


async def test_a_message_reaches_its_customer_and_staff_and_nobody_else(open_socket, alice, bob, staff):
    reservation = await new_reservation(pet__owner=alice)
    sockets = {name: (await open_socket("chat", user))[0] for name, user in [("alice", alice), ("bob", bob), ("staff", staff)]}

    message = await post(reservation=reservation, author=staff, body="Luna ate <script>all</script>")

    for name in ("alice", "staff"):
        update = await sockets[name].receive_type("realtime_update")
        assert (update["entity_type"], update["action"]) == ("chat", "created")
        assert list(update["data"]) == DATA_FIELDS
        assert update["data"] | {"created_at": None} == {
            "message_id": message.pk,
            "reservation_id": reservation.pk,
            "user_id": alice.pk,
            "author_id": staff.pk,
            "author_name": "Sam",
            "body": "Luna ate <script>all</script>",
            "created_at": None,
            "edited_at": None,
            "deleted": False,
        }
    await sockets["bob"].send({"type": "ping"})
    assert await sockets["bob"].receive() == {"type": "pong"}  # the event came before: bob had none


async def test_a_read_marker_moving_is_a_read_event(open_socket, alice, staff):
    reservation = await new_reservation(pet__owner=alice)
    message = await post(reservation=reservation, author=staff, body="Luna slept well")
    alice_socket, _ = await open_socket("chat", alice)
    staff_socket, _ = await open_socket("chat", staff)

    await mark_read(reservation=reservation, reader=alice, up_to=message.pk)

    for socket in (alice_socket, staff_socket):
        update = await socket.receive_type("realtime_update")
        assert (update["entity_type"], update["action"]) == ("chat", "read")
        read = {"reservation_id": reservation.pk, "user_id": alice.pk, "reader_id": alice.pk, "up_to": message.pk}
        assert update["data"] == read


async def test_subscribe_with_reservation_ids_narrows_to_those_conversations(open_socket, alice, staff):
    luna, rex = await new_reservation(pet__owner=alice), await new_reservation(pet__owner=alice)
    socket, _ = await open_socket("chat", staff)
    await socket.send({"type": "subscribe", "ids": [luna.pk]})
    assert (await socket.receive_type("subscriptions"))["ids"] == [luna.pk]

    await post(reservation=rex, author=alice, body="About Rex")
    await post(reservation=luna, author=alice, body="About Luna")

    update = await socket.receive_type("realtime_update")
    assert update["data"]["body"] == "About Luna"
    assert await socket.nothing_more()


async def test_messages_sent_while_disconnected_arrive_on_resume_in_order(open_socket, alice, staff):
    reservation = await new_reservation(pet__owner=alice)
    first, _ = await open_socket("chat", alice)
    await post(reservation=reservation, author=alice, body="Is Luna eating?")
    seen = (await first.receive_type("realtime_update"))["event_id"]
    await first.close()

    for body in ["Yes", "She loves the park", "Pick her up at five"]:
        await post(reservation=reservation, author=staff, body=body)

    second, ready = await open_socket("chat", alice, query=f"last_event_id={seen}")
    assert ready["type"] == "connection_established"
    replayed = [await second.receive_type("realtime_update") for _ in range(3)]
    assert [m["data"]["body"] for m in replayed] == ["Yes", "She loves the park", "Pick her up at five"]
    ids = [m["event_id"] for m in replayed]
    assert ids == sorted(ids) and ids[0] > seen
    assert await second.nothing_more()
