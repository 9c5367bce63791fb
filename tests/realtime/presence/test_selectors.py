"""``present_user_ids``: who is on a record, for sync code such as a service after commit."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from realtime.presence.selectors import present_user_ids

pytestmark = pytest.mark.django_db(transaction=True)

present = sync_to_async(present_user_ids, thread_sensitive=False)  # sync code, as a service calls it


async def eventually(record_id: str, expected: set[str], timeout: float = 10) -> set[str]:
    """What ``present_user_ids`` says once it says ``expected``, or at the timeout (the store is
    written just after the frames go out)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await present("reservations", record_id)
        if found == expected or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "one-process"])
async def test_present_user_ids_names_the_members_of_a_record(open_socket, make_reservation, alice, staff, settings, shared):
    if not shared:
        settings.REALTIME = {**settings.REALTIME, "PRESENCE_REDIS_URL": None}
    reservation, other = await make_reservation(alice), await make_reservation(alice)
    sockets = []
    for user in (alice, staff):
        socket, _ = await open_socket("reservations", user)
        await socket.send({"type": "presence_join", "record_id": reservation.pk})
        await socket.receive_type("presence_state")
        sockets.append(socket)
    await sockets[0].receive_type("presence_diff")  # Sam's join

    assert await eventually(str(reservation.pk), {str(alice.pk), str(staff.pk)}) == {str(alice.pk), str(staff.pk)}
    assert await present("reservations", str(other.pk)) == set()

    await sockets[1].send({"type": "presence_leave", "record_id": reservation.pk})
    await sockets[0].receive_type("presence_diff")
    assert await eventually(str(reservation.pk), {str(alice.pk)}) == {str(alice.pk)}
