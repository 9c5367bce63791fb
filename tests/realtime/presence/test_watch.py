"""``presence_watch``: the admin's changelist marks the rows someone has open, without the
watcher becoming a member."""

from __future__ import annotations

import pytest

from tests.realtime.presence.conftest import member, without_since

pytestmark = pytest.mark.django_db(transaction=True)


async def settled(socket) -> None:
    """Until the socket's earlier messages were acted on (they are, in order)."""
    await socket.send({"type": "ping"})
    await socket.receive_type("pong")


async def test_a_watcher_gets_the_state_of_watched_records_with_members_then_their_diffs(
    open_socket, make_reservation, alice, bob, staff
):
    open_one, quiet_one = await make_reservation(alice), await make_reservation(bob)
    owner, _ = await open_socket("reservations", alice)
    await owner.send({"type": "presence_join", "record_id": open_one.pk, "state": "editing"})
    await owner.receive_type("presence_state")

    changelist, _ = await open_socket("reservations", staff)
    await changelist.send({"type": "presence_watch", "record_ids": [open_one.pk, quiet_one.pk]})
    assert without_since(await changelist.receive()) == {
        "type": "presence_state",
        "channel": "reservations",
        "record_id": open_one.pk,
        "members": [member(alice, "editing")],
        "count": 1,
    }
    assert await changelist.nothing_more()  # nobody on the other record: no frame for it
    assert await owner.nothing_more()  # watching is not membership: no join for Sam

    visitor, _ = await open_socket("reservations", bob)
    await visitor.send({"type": "presence_join", "record_id": quiet_one.pk})
    assert [m["user_id"] for m in (await visitor.receive())["members"]] == [str(bob.pk)]  # the watcher is not listed
    diff = without_since(await changelist.receive())
    assert (diff["type"], diff["record_id"], diff["joins"]) == ("presence_diff", quiet_one.pk, [member(bob, "viewing")])


async def test_a_new_watch_replaces_the_old_and_an_empty_one_stops(open_socket, make_reservation, alice, staff):
    first, second = await make_reservation(alice), await make_reservation(alice)
    changelist, _ = await open_socket("reservations", staff)
    await changelist.send({"type": "presence_watch", "record_ids": [first.pk]})
    await changelist.send({"type": "presence_watch", "record_ids": [second.pk]})
    await settled(changelist)
    owner, _ = await open_socket("reservations", alice)
    await owner.send({"type": "presence_join", "record_id": first.pk})
    await owner.receive_type("presence_state")
    assert await changelist.nothing_more()  # no longer watched

    await owner.send({"type": "presence_join", "record_id": second.pk})
    assert (await changelist.receive())["record_id"] == second.pk

    await changelist.send({"type": "presence_watch", "record_ids": []})
    await settled(changelist)
    await owner.send({"type": "presence_leave", "record_id": second.pk})
    assert await changelist.nothing_more()


async def test_watching_a_record_one_may_not_see_is_refused_naming_it_and_nothing_changes(
    open_socket, make_reservation, alice, bob
):
    hers, his = await make_reservation(alice), await make_reservation(bob)
    socket, _ = await open_socket("reservations", bob)
    await socket.send({"type": "presence_watch", "record_ids": [his.pk]})
    await socket.send({"type": "presence_watch", "record_ids": [his.pk, hers.pk, 999_999]})
    refusal = await socket.receive()
    assert (refusal["type"], refusal["code"], refusal["record_ids"]) == ("error", "forbidden", [hers.pk, 999_999])

    owner, _ = await open_socket("reservations", alice)
    await owner.send({"type": "presence_join", "record_id": hers.pk})
    await owner.receive_type("presence_state")
    assert await socket.nothing_more()  # her record was never watched
    friend, _ = await open_socket("reservations", bob)
    await friend.send({"type": "presence_join", "record_id": his.pk})
    await friend.receive_type("presence_state")
    assert (await socket.receive())["record_id"] == his.pk  # his is still watched
