"""A member is a user: tabs merge, a close lingers for a reload, rights lost take one out."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from tests.factories import PetFactory
from tests.realtime.presence.conftest import member, without_since

pytestmark = pytest.mark.django_db(transaction=True)


async def joined(open_socket, user, record_id: int, state: str = "viewing"):
    socket, _ = await open_socket("reservations", user)
    await socket.send({"type": "presence_join", "record_id": record_id, "state": state})
    return socket, await socket.receive_type("presence_state")


async def test_two_tabs_of_one_person_are_one_member_and_editing_wins(open_socket, make_reservation, alice, staff):
    reservation = await make_reservation(alice)
    watcher, _ = await joined(open_socket, staff, reservation.pk)
    first_tab, _ = await joined(open_socket, alice, reservation.pk, "viewing")
    assert without_since(await watcher.receive())["joins"] == [member(alice, "viewing")]

    second_tab, state = await joined(open_socket, alice, reservation.pk, "editing")
    assert state["count"] == 2  # Sam and Alice, not three sockets
    assert without_since(await watcher.receive())["joins"] == [member(alice, "editing")]
    assert without_since(await first_tab.receive())["joins"] == [member(alice, "editing")]

    await second_tab.send({"type": "presence_leave", "record_id": reservation.pk})
    downgrade = without_since(await watcher.receive())
    assert downgrade["joins"] == [member(alice, "viewing")] and downgrade["leaves"] == []  # the other tab still views

    await first_tab.send({"type": "presence_leave", "record_id": reservation.pk})
    assert (await watcher.receive())["leaves"] == [str(alice.pk)]  # the last tab left


async def test_since_is_when_the_member_first_arrived(open_socket, make_reservation, alice, staff):
    reservation = await make_reservation(alice)
    _, first = await joined(open_socket, alice, reservation.pk)
    await asyncio.sleep(0.05)
    _, later = await joined(open_socket, alice, reservation.pk, "editing")
    assert later["members"][0]["since"] == first["members"][0]["since"]


async def test_a_closed_socket_leaves_after_a_few_seconds(open_socket, make_reservation, alice, staff):
    reservation = await make_reservation(alice)
    watcher, _ = await joined(open_socket, staff, reservation.pk)
    tab, _ = await joined(open_socket, alice, reservation.pk)
    await watcher.receive_type("presence_diff")

    await tab.close()
    assert await watcher.nothing_more(timeout=3)  # held back: it may be a reload
    leave = await watcher.receive(timeout=10)
    assert (leave["type"], leave["leaves"], leave["joins"]) == ("presence_diff", [str(alice.pk)], [])


async def test_a_reload_within_five_seconds_shows_no_leave_only_the_state_change(open_socket, make_reservation, alice, staff):
    reservation = await make_reservation(alice)
    watcher, _ = await joined(open_socket, staff, reservation.pk)
    tab, _ = await joined(open_socket, alice, reservation.pk, "editing")
    await watcher.receive_type("presence_diff")

    await tab.close()
    await asyncio.sleep(0.5)
    reloaded, state = await joined(open_socket, alice, reservation.pk, "viewing")
    assert {m["user_id"]: m["state"] for m in state["members"]} == {str(staff.pk): "viewing", str(alice.pk): "editing"}
    # When the closed tab stops counting, Alice only views: a state change, never a leave.
    change = without_since(await watcher.receive(timeout=10))
    assert (change["joins"], change["leaves"]) == ([member(alice, "viewing")], [])
    assert without_since(await reloaded.receive(timeout=2))["joins"] == [member(alice, "viewing")]
    assert await watcher.nothing_more(timeout=1)


async def test_a_reload_in_the_same_state_shows_nothing_at_all(open_socket, make_reservation, alice, staff):
    reservation = await make_reservation(alice)
    watcher, _ = await joined(open_socket, staff, reservation.pk)
    tab, _ = await joined(open_socket, alice, reservation.pk)
    await watcher.receive_type("presence_diff")
    await tab.close()
    await joined(open_socket, alice, reservation.pk)
    assert await watcher.nothing_more(timeout=7)


async def test_ownership_moving_to_bob_takes_alice_out(open_socket, make_reservation, alice, bob, staff):
    reservation = await make_reservation(alice)
    watcher, _ = await joined(open_socket, staff, reservation.pk)
    owner, _ = await joined(open_socket, alice, reservation.pk)
    await watcher.receive_type("presence_diff")

    def move_to_bob() -> None:
        reservation.pet = PetFactory(owner=bob)
        reservation.user = bob
        reservation.save()

    await database_sync_to_async(move_to_bob)()
    told = await owner.receive_type("presence_diff")
    assert (told["joins"], sorted(told["leaves"]), told["count"]) == ([], sorted([str(staff.pk), str(alice.pk)]), 0)
    assert (await watcher.receive_type("presence_diff"))["leaves"] == [str(alice.pk)]
    await owner.send({"type": "presence_update", "record_id": reservation.pk, "state": "editing"})
    assert (await owner.receive_type("error"))["code"] == "invalid_message"  # no longer joined

    newcomer, state = await joined(open_socket, bob, reservation.pk)
    assert [m["user_id"] for m in state["members"]] == [str(staff.pk), str(bob.pk)]


async def test_staff_who_lose_their_rights_leave_records_that_are_not_theirs(
    open_socket, make_reservation, alice, staff, settings
):
    settings.REALTIME = {**settings.REALTIME, "REVALIDATE_INTERVAL": 0.2}
    reservation = await make_reservation(alice)
    owner, _ = await joined(open_socket, alice, reservation.pk)
    former_staff, _ = await joined(open_socket, staff, reservation.pk)
    await owner.receive_type("presence_diff")

    staff.is_staff = False
    await database_sync_to_async(staff.save)()
    assert (await owner.receive_type("presence_diff", timeout=10))["leaves"] == [str(staff.pk)]
    assert (await former_staff.receive_type("presence_diff", timeout=5))["count"] == 0


async def test_a_disabled_account_leaves_at_once(open_socket, make_reservation, alice, staff, settings):
    # A close would be held back for 60 s: a leave well before that was not held back.
    settings.REALTIME = {**settings.REALTIME, "REVALIDATE_INTERVAL": 0.2, "PRESENCE_LINGER": 60.0}
    reservation = await make_reservation(alice)
    watcher, _ = await joined(open_socket, staff, reservation.pk)
    await joined(open_socket, alice, reservation.pk)
    await watcher.receive_type("presence_diff")

    alice.is_active = False
    await database_sync_to_async(alice.save)()
    leave = await watcher.receive_type("presence_diff", timeout=20)
    assert leave["leaves"] == [str(alice.pk)]
