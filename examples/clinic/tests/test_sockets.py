"""The clinic's ``ws/visits/`` as a client sees it: who receives a visit's changes, refusals,
and resume with ``?last_event_id``. Real Redis, the clinic's own ASGI application."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from visits import services
from visits.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)

book = database_sync_to_async(services.visit_book)
set_status = database_sync_to_async(services.visit_set_status)


async def test_the_channel_route_greets_a_signed_in_client(open_socket, alice):
    _, ready = await open_socket("visits", alice)
    assert ready["type"] == "connection_established"
    assert ready["channel"] == "visits" and ready["user_id"] == str(alice.pk)
    assert isinstance(ready["last_event_id"], int)


async def test_a_change_to_alices_visit_reaches_alice_and_staff_and_not_bob(open_socket, alice, bob, staff):
    alice_socket, ready = await open_socket("visits", alice)
    staff_socket, _ = await open_socket("visits", staff)
    bob_socket, _ = await open_socket("visits", bob)

    visit = await book(owner=alice, pet_name="Luna")
    await set_status(visit=visit, status=Visit.Status.DONE)

    for socket in (alice_socket, staff_socket):
        created, updated = await socket.receive(), await socket.receive()
        assert (created["type"], created["entity_type"], created["action"]) == ("realtime_update", "visits", "created")
        assert created["data"] == {
            "visit_id": visit.pk,
            "user_id": alice.pk,
            "pet_name": "Luna",
            "status": "booked",
            "vet_id": None,
        }
        assert created["event_id"] > ready["last_event_id"]
        assert updated["action"] == "updated" and updated["data"]["status"] == "done"
        assert updated["event_id"] > created["event_id"]
    assert await bob_socket.nothing_more()


async def test_an_unknown_channel_is_refused_with_4404(open_socket, alice):
    socket, error = await open_socket("pets", alice)
    assert error["type"] == "error" and error["code"] == "not_found"
    assert (await socket.receive())["code"] == 4404


async def test_a_socket_without_a_token_is_refused_with_4401(open_socket):
    socket, error = await open_socket("visits")
    assert error["type"] == "error" and error["code"] == "unauthenticated"
    assert (await socket.receive())["code"] == 4401


async def test_a_socket_with_a_bad_token_is_refused_with_4401(open_socket):
    socket, error = await open_socket("visits", query="token=not-a-jwt")
    assert error == {"type": "error", "code": "unauthenticated", "message": "Invalid or expired token."}
    assert (await socket.receive())["code"] == 4401


async def test_a_client_that_comes_back_with_last_event_id_gets_what_it_missed_in_order(open_socket, alice, bob):
    first, _ = await open_socket("visits", alice)
    seen = await book(owner=alice, pet_name="seen")
    last_seen = (await first.receive())["event_id"]
    await first.communicator.disconnect()

    missed = [await book(owner=alice, pet_name=f"missed {i}") for i in range(5)]
    await book(owner=bob, pet_name="not alice's")
    await set_status(visit=seen, status=Visit.Status.CANCELLED)

    second, ready = await open_socket("visits", alice, query=f"last_event_id={last_seen}")
    assert ready["type"] == "connection_established"
    replayed = [await second.receive() for _ in range(6)]
    assert [(m["action"], m["data"]["visit_id"]) for m in replayed] == (
        [("created", v.pk) for v in missed] + [("updated", seen.pk)]
    )
    ids = [m["event_id"] for m in replayed]
    assert ids == sorted(set(ids)) and ids[0] > last_seen
    assert await second.nothing_more()
