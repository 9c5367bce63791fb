"""Abuse limits and accounts that change while connected."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import override_settings

from tests.factories import VetFactory, VisitFactory
from tests.support.speedups import sent_close_code

pytestmark = pytest.mark.django_db(transaction=True)


def realtime(**overrides):
    return override_settings(REALTIME={**settings.REALTIME, **overrides})


@realtime(MESSAGES_PER_SECOND=1.0, MESSAGE_BURST=3)
async def test_flooding_client_gets_an_error_then_close_1008(open_socket):
    socket, _ = await open_socket("treatments")
    for _ in range(3):
        await socket.send({"type": "ping"})
        assert await socket.receive() == {"type": "pong"}
    await socket.send({"type": "ping"})
    error = await socket.receive()
    assert error["type"] == "error" and error["code"] == "rate_limited"
    assert await socket.receive() == {"type": "<closed>", "code": sent_close_code(1008)}


@realtime(MAX_SOCKETS_PER_USER=2)
async def test_too_many_sockets_for_one_user_are_refused(open_socket, alice):
    await open_socket("visits", alice)
    await open_socket("treatments", alice)
    third, first = await open_socket("visits", alice)
    assert first["code"] == "too_many_connections"
    assert await third.receive() == {"type": "<closed>", "code": sent_close_code(1008)}


@realtime(REVALIDATE_INTERVAL=0.2)
async def test_disabled_user_is_disconnected_within_seconds(open_socket, alice):
    socket, _ = await open_socket("visits", alice)
    alice.is_active = False
    await database_sync_to_async(alice.save)()
    message = await socket.receive_type("error", timeout=5)
    assert message["code"] == "unauthenticated"
    assert await socket.receive() == {"type": "<closed>", "code": 4401}


@realtime(REVALIDATE_INTERVAL=0.2)
async def test_staff_who_loses_staff_rights_stops_seeing_others_records(open_socket, staff, alice):
    staff_channel, _ = await open_socket("vets", staff)
    visits, _ = await open_socket("visits", staff)
    staff.is_staff = False
    await database_sync_to_async(staff.save)()
    assert (await staff_channel.receive_type("error", timeout=5))["code"] == "forbidden"
    assert await staff_channel.receive() == {"type": "<closed>", "code": 4403}
    await database_sync_to_async(VisitFactory)(owner=alice)
    assert await visits.nothing_more(1.0), "a former staff member still received a client's visit"


async def test_vets_are_staff_only_even_for_updates_sent_by_code(open_socket, alice, staff):
    staff_socket, _ = await open_socket("vets", staff)
    await database_sync_to_async(VetFactory)()
    assert (await staff_socket.receive_type("realtime_update"))["entity_type"] == "vets"
