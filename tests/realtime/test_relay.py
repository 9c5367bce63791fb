"""Relayed client messages (``Publication.relay``; PetLand's typing indicator on ``chat``): sent
to the record's other participants' sockets on every server process, at most one a second per
socket and record, refused to a sender who does not take part, never stored or resumed."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from websockets.sync.client import connect

from realtime.models import Event
from tests.factories import ReservationFactory
from tests.realtime.conftest import token_for
from tests.support.servers import Daphne

pytestmark = pytest.mark.django_db(transaction=True)

new_reservation = database_sync_to_async(ReservationFactory)


def typing(reservation_id) -> dict:
    return {"type": "typing", "reservation_id": reservation_id}


async def test_typing_reaches_the_other_participants_only(open_socket, alice, bob, staff):
    reservation = await new_reservation(pet__owner=alice)
    alice_socket, _ = await open_socket("chat", alice)
    staff_socket, _ = await open_socket("chat", staff)
    bob_socket, _ = await open_socket("chat", bob)

    await alice_socket.send(typing(reservation.pk))
    assert await staff_socket.receive() == {**typing(reservation.pk), "user_id": str(alice.pk), "name": "Alice"}

    await staff_socket.send(typing(reservation.pk))
    assert await alice_socket.receive() == {**typing(reservation.pk), "user_id": str(staff.pk), "name": "Sam"}
    assert await bob_socket.nothing_more(1.0)
    assert await staff_socket.nothing_more(0.5)  # not its own back
    assert not await database_sync_to_async(Event.objects.filter(channel="chat").exists)()  # nothing stored


async def test_more_than_one_a_second_per_conversation_is_dropped(open_socket, alice, staff):
    luna, rex = await new_reservation(pet__owner=alice), await new_reservation(pet__owner=alice)
    alice_socket, _ = await open_socket("chat", alice)
    staff_socket, _ = await open_socket("chat", staff)

    for _ in range(3):
        await alice_socket.send(typing(luna.pk))
    await alice_socket.send(typing(rex.pk))  # another conversation counts on its own

    got = [await staff_socket.receive(), await staff_socket.receive()]
    assert sorted(m["reservation_id"] for m in got) == sorted([luna.pk, rex.pk])
    assert await staff_socket.nothing_more(1.0)


async def test_a_stranger_is_refused_at_once_and_nobody_hears_it(open_socket, alice, bob, staff):
    reservation = await new_reservation(pet__owner=alice)
    bob_socket, _ = await open_socket("chat", bob)
    staff_socket, _ = await open_socket("chat", staff)

    await bob_socket.send(typing(reservation.pk))
    refused = await bob_socket.receive()
    await bob_socket.send(typing(reservation.pk + 1000))  # no such reservation: the same answer
    missing = await bob_socket.receive()

    assert refused["type"] == missing["type"] == "error" and refused["code"] == missing["code"] == "forbidden"
    assert await staff_socket.nothing_more(1.0)


async def test_typing_stops_once_the_reservation_is_no_longer_theirs(open_socket, alice, bob, staff):
    reservation = await new_reservation(pet__owner=alice)
    alice_socket, _ = await open_socket("chat", alice)
    staff_socket, _ = await open_socket("chat", staff)
    await alice_socket.send(typing(reservation.pk))
    assert (await staff_socket.receive())["type"] == "typing"

    await database_sync_to_async(lambda: type(reservation).objects.filter(pk=reservation.pk).update(user=bob))()
    await staff_socket.nothing_more(1.1)  # past the rate's second
    await alice_socket.send(typing(reservation.pk))

    assert (await alice_socket.receive())["code"] == "forbidden"
    assert await staff_socket.nothing_more(0.5)


async def test_a_socket_narrowed_to_other_conversations_hears_no_typing_of_this_one(open_socket, alice, staff):
    luna, rex = await new_reservation(pet__owner=alice), await new_reservation(pet__owner=alice)
    alice_socket, _ = await open_socket("chat", alice)
    staff_socket, _ = await open_socket("chat", staff)
    await staff_socket.send({"type": "subscribe", "ids": [rex.pk]})
    await staff_socket.receive_type("subscriptions")

    await alice_socket.send(typing(luna.pk))
    assert await staff_socket.nothing_more(1.0)


async def test_typing_is_a_message_of_the_chat_channel_only(open_socket, alice):
    socket, _ = await open_socket("pets", alice)
    await socket.send(typing(1))
    answer = await socket.receive()
    assert answer["type"] == "error" and answer["code"] == "invalid_message" and "typing" in answer["message"]
    await socket.send({"type": "nope"})
    assert "typing" not in (await socket.receive())["message"]  # not offered where it is no message


@pytest.mark.live
def test_typing_crosses_server_processes(alice, staff):
    reservation = ReservationFactory(pet__owner=alice)
    with Daphne() as first, Daphne() as second:
        with (
            connect(f"{first.ws}/ws/chat/?token={token_for(alice)}", open_timeout=10) as alice_ws,
            connect(f"{second.ws}/ws/chat/?token={token_for(staff)}", open_timeout=10) as staff_ws,
        ):
            assert json.loads(alice_ws.recv(timeout=10))["type"] == "connection_established"
            assert json.loads(staff_ws.recv(timeout=10))["type"] == "connection_established"
            alice_ws.send(json.dumps(typing(reservation.pk)))
            relayed = json.loads(staff_ws.recv(timeout=10))
    assert relayed == {"type": "typing", "reservation_id": reservation.pk, "user_id": str(alice.pk), "name": "Alice"}
