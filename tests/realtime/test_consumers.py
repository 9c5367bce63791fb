"""The WebSocket protocol as a client sees it, over Channels' in-process communicator."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings

from tests.factories import PetFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def test_owner_receives_her_pet_created_and_bob_does_not(open_socket, alice, bob):
    alice_socket, ready = await open_socket("pets", alice)
    assert ready["type"] == "connection_established"
    assert ready["channel"] == "pets" and ready["user_id"] == str(alice.pk)
    bob_socket, _ = await open_socket("pets", bob)

    pet = await database_sync_to_async(PetFactory)(owner=alice, name="Luna")

    update = await alice_socket.receive()
    assert update["type"] == "realtime_update"
    assert update["entity_type"] == "pets" and update["action"] == "created"
    assert update["data"]["pet_id"] == pet.pk and update["data"]["name"] == "Luna"
    assert update["event_id"] > ready["last_event_id"]
    assert await bob_socket.nothing_more()


IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@override_settings(CHANNEL_LAYERS=IN_MEMORY)
async def test_without_redis_one_process_still_delivers_through_the_in_memory_layer(open_socket, alice):
    socket, _ = await open_socket("pets", alice)
    pet = await database_sync_to_async(PetFactory)(owner=alice, name="Solo")
    assert (await socket.receive())["data"]["pet_id"] == pet.pk


@override_settings(CHANNEL_LAYERS=IN_MEMORY)
def test_in_memory_layer_is_flagged_at_start():
    from realtime.checks import shared_channel_layer

    assert [w.id for w in shared_channel_layer()] == ["realtime.W001"]
