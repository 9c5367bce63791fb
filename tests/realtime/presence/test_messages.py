"""The presence messages, one by one, as a client on one server process sees them (golden frames)."""

from __future__ import annotations

import pytest

from tests.realtime.presence.conftest import member, without_since

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_join_gets_the_state_and_the_others_a_diff(open_socket, make_reservation, alice, staff):
    reservation = await make_reservation(alice)
    sam, _ = await open_socket("reservations", staff)
    await sam.send({"type": "presence_join", "record_id": reservation.pk, "state": "editing"})
    assert without_since(await sam.receive()) == {
        "type": "presence_state",
        "channel": "reservations",
        "record_id": reservation.pk,
        "members": [member(staff, "editing")],
        "count": 1,
    }

    owner, _ = await open_socket("reservations", alice)
    await owner.send({"type": "presence_join", "record_id": reservation.pk, "state": "viewing"})
    state = without_since(await owner.receive())
    assert state["type"] == "presence_state" and state["count"] == 2
    assert state["members"] == [member(staff, "editing"), member(alice, "viewing")]  # editors first
    assert without_since(await sam.receive()) == {
        "type": "presence_diff",
        "channel": "reservations",
        "record_id": reservation.pk,
        "joins": [member(alice, "viewing")],
        "leaves": [],
        "count": 2,
    }
    assert await owner.nothing_more()  # no diff of her own arrival


async def test_a_state_change_is_a_join_with_the_new_state_not_a_leave(open_socket, make_reservation, alice, staff):
    reservation = await make_reservation(alice)
    sam, _ = await open_socket("reservations", staff)
    owner, _ = await open_socket("reservations", alice)
    await sam.send({"type": "presence_join", "record_id": reservation.pk, "state": "viewing"})
    await sam.receive_type("presence_state")
    await owner.send({"type": "presence_join", "record_id": reservation.pk})  # viewing by default
    await owner.receive_type("presence_state")
    await sam.receive_type("presence_diff")

    await sam.send({"type": "presence_update", "record_id": reservation.pk, "state": "editing"})
    expected = {
        "type": "presence_diff",
        "channel": "reservations",
        "record_id": reservation.pk,
        "joins": [member(staff, "editing")],
        "leaves": [],
        "count": 2,
    }
    assert without_since(await owner.receive()) == expected
    assert without_since(await sam.receive()) == expected


async def test_an_explicit_leave_is_immediate(open_socket, make_reservation, alice, staff):
    reservation = await make_reservation(alice)
    sam, _ = await open_socket("reservations", staff)
    owner, _ = await open_socket("reservations", alice)
    await sam.send({"type": "presence_join", "record_id": reservation.pk})
    await sam.receive_type("presence_state")
    await owner.send({"type": "presence_join", "record_id": reservation.pk})
    await owner.receive_type("presence_state")
    await sam.receive_type("presence_diff")

    await owner.send({"type": "presence_leave", "record_id": reservation.pk})
    assert await sam.receive(timeout=1) == {
        "type": "presence_diff",
        "channel": "reservations",
        "record_id": reservation.pk,
        "joins": [],
        "leaves": [str(alice.pk)],
        "count": 1,
    }
    assert await owner.nothing_more()


async def test_another_customers_record_is_refused_and_the_socket_stays_open(open_socket, make_reservation, alice, bob):
    reservation = await make_reservation(alice)
    intruder, _ = await open_socket("reservations", bob)
    await intruder.send({"type": "presence_join", "record_id": reservation.pk, "state": "viewing"})
    refusal = await intruder.receive()
    assert refusal["type"] == "error" and refusal["code"] == "forbidden" and refusal["record_id"] == reservation.pk
    await intruder.send({"type": "ping"})
    assert (await intruder.receive())["type"] == "pong"


async def test_a_missing_record_is_refused_like_a_hidden_one(open_socket, alice):
    socket, _ = await open_socket("reservations", alice)
    for record_id in (999_999, "not-an-id"):
        await socket.send({"type": "presence_join", "record_id": record_id})
        refusal = await socket.receive()
        assert (refusal["type"], refusal["code"], refusal["record_id"]) == ("error", "forbidden", record_id)


@pytest.mark.parametrize(
    "message",
    [
        {"type": "presence_join", "state": "viewing"},
        {"type": "presence_join", "record_id": True},
        {"type": "presence_join", "record_id": [1]},
        {"type": "presence_join", "record_id": 1, "state": "typing"},
        {"type": "presence_update", "record_id": 1, "state": "editing"},  # not joined
        {"type": "presence_watch", "record_ids": "1,2"},
        {"type": "presence_watch", "record_ids": list(range(101))},
    ],
)
async def test_a_malformed_presence_message_gets_invalid_message(open_socket, alice, message):
    socket, _ = await open_socket("reservations", alice)
    await socket.send(message)
    error = await socket.receive()
    assert (error["type"], error["code"]) == ("error", "invalid_message")
    await socket.send({"type": "ping"})
    assert (await socket.receive())["type"] == "pong"


async def test_anonymous_sockets_cannot_join(open_socket, make_reservation, alice):
    service_socket, _ = await open_socket("services")
    await service_socket.send({"type": "presence_join", "record_id": 1})
    assert (await service_socket.receive())["code"] == "forbidden"
