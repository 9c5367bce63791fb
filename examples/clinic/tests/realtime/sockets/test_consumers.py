"""The WebSocket protocol as a client sees it, over Channels' in-process communicator."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings

from tests.factories import VisitFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def test_owner_receives_her_visit_created_and_bob_does_not(open_socket, alice, bob):
    alice_socket, ready = await open_socket("visits", alice)
    assert ready["type"] == "connection_established"
    assert ready["channel"] == "visits" and ready["user_id"] == str(alice.pk)
    bob_socket, _ = await open_socket("visits", bob)

    visit = await database_sync_to_async(VisitFactory)(owner=alice, pet_name="Luna")

    update = await alice_socket.receive()
    assert update["type"] == "realtime_update"
    assert update["entity_type"] == "visits" and update["action"] == "created"
    assert update["data"]["visit_id"] == visit.pk and update["data"]["pet_name"] == "Luna"
    assert update["event_id"] > ready["last_event_id"]
    assert await bob_socket.nothing_more()


IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@override_settings(CHANNEL_LAYERS=IN_MEMORY)
async def test_without_redis_one_process_still_delivers_through_the_in_memory_layer(open_socket, alice):
    socket, _ = await open_socket("visits", alice)
    visit = await database_sync_to_async(VisitFactory)(owner=alice, pet_name="Solo")
    assert (await socket.receive())["data"]["visit_id"] == visit.pk


@override_settings(CHANNEL_LAYERS=IN_MEMORY)
def test_in_memory_layer_is_flagged_at_start():
    from realtime.checks import shared_channel_layer

    assert [w.id for w in shared_channel_layer()] == ["realtime.W001"]
