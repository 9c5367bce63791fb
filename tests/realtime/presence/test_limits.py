"""What one socket may ask of presence: 50 topics, members listed up to 100 with their count,
and its messages charged to its message rate like any other."""

from __future__ import annotations

import time

import pytest
from channels.db import database_sync_to_async
from django.conf import settings

from realtime.presence.members import Entry
from realtime.presence.store import Change, RedisStore
from tests.factories import PetFactory, ReservationFactory
from tests.support.speedups import sent_close_code

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_51st_topic_of_a_socket_is_refused(open_socket, staff, settings):
    settings.REALTIME = {**settings.REALTIME, "MESSAGE_BURST": 200, "MESSAGES_PER_SECOND": 200.0}
    reservations = await database_sync_to_async(lambda: ReservationFactory.create_batch(51, pet=PetFactory()))()
    socket, _ = await open_socket("reservations", staff)
    for reservation in reservations[:50]:
        await socket.send({"type": "presence_join", "record_id": reservation.pk})
        assert (await socket.receive(timeout=5))["type"] == "presence_state"
    await socket.send({"type": "presence_join", "record_id": reservations[50].pk})
    error = await socket.receive()
    assert (error["type"], error["code"]) == ("error", "invalid_message") and "50" in error["message"]

    await socket.send({"type": "presence_leave", "record_id": reservations[0].pk})
    await socket.send({"type": "presence_join", "record_id": reservations[50].pk})
    assert (await socket.receive())["type"] == "presence_state"  # room again after a leave


async def test_members_list_at_most_100_with_the_total_count(open_socket, make_reservation, alice):
    reservation = await make_reservation(alice)
    # 150 people on another server process (its entries, written as that process writes them).
    other_process = RedisStore(settings.REALTIME["PRESENCE_REDIS_URL"])
    now = time.time()
    crowd = [
        Change(
            "elsewhere:1",
            ("reservations", str(reservation.pk)),
            str(10_000 + n),
            Entry(str(10_000 + n), f"Vet {n}", True, "viewing", now, now + 60),
        )
        for n in range(150)
    ]
    await other_process.write(crowd)
    await other_process.close()

    socket, _ = await open_socket("reservations", alice)
    await socket.send({"type": "presence_join", "record_id": reservation.pk, "state": "editing"})
    state = await socket.receive()
    assert state["count"] == 151 and len(state["members"]) == 100
    assert state["members"][0]["user_id"] == str(alice.pk)  # editors first


async def test_presence_messages_count_against_the_message_rate(open_socket, make_reservation, alice, settings):
    settings.REALTIME = {**settings.REALTIME, "MESSAGE_BURST": 5, "MESSAGES_PER_SECOND": 0.1}
    reservation = await make_reservation(alice)
    socket, _ = await open_socket("reservations", alice)
    await socket.send({"type": "presence_join", "record_id": reservation.pk})
    for state in ["editing", "viewing", "editing", "viewing", "editing", "viewing"]:
        await socket.send({"type": "presence_update", "record_id": reservation.pk, "state": state})
    closed = await socket.receive_type("<closed>", timeout=5)
    assert closed["code"] == sent_close_code(1008)  # policy: rate limited, as for any message
