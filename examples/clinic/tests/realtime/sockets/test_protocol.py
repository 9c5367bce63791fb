"""What a client may send, and what bad input gets back."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from rest_framework_simplejwt.tokens import AccessToken

from clinic.asgi import application
from tests.factories import TreatmentFactory, VisitFactory
from tests.support.sockets import Socket, token_for
from tests.support.speedups import sent_close_code

pytestmark = pytest.mark.django_db(transaction=True)


async def test_ping_answers_pong(open_socket):
    socket, _ = await open_socket("treatments")
    await socket.send({"type": "ping"})
    assert await socket.receive() == {"type": "pong"}


@pytest.mark.parametrize(
    "frame, reason",
    [
        ("not json", "Invalid JSON"),
        ("[1, 2]", "JSON objects"),
        ('{"no_type": 1}', "JSON objects"),
        ('{"type": "launch_missiles"}', "Unknown message type"),
        ('{"type": "subscribe", "ids": "all"}', "ids"),
        ('{"type": "subscribe", "ids": [{"a": 1}]}', "ids"),
        ('{"type": "resume", "last_event_id": "x"}', "last_event_id"),
    ],
)
async def test_invalid_messages_get_an_error_and_the_socket_stays_open(open_socket, frame, reason):
    socket, _ = await open_socket("treatments")
    await socket.send(frame)
    error = await socket.receive()
    assert error["type"] == "error" and error["code"] == "invalid_message"
    assert reason in error["message"]
    await socket.send({"type": "ping"})
    assert await socket.receive() == {"type": "pong"}


async def test_binary_frame_is_refused_politely(open_socket):
    socket, _ = await open_socket("treatments")
    await socket.communicator.send_to(bytes_data=b"\x00\x01")
    error = await socket.receive()
    assert error["code"] == "invalid_message" and "Binary" in error["message"]


async def test_frame_over_64_kib_closes_with_1009(open_socket):
    socket, _ = await open_socket("treatments")
    await socket.send(json.dumps({"type": "ping", "pad": "x" * (64 * 1024)}))
    closed = await socket.receive()
    assert closed == {"type": "<closed>", "code": sent_close_code(1009)}


async def test_subscribe_narrows_the_channel_to_some_records_and_unsubscribe_widens_it(open_socket):
    socket, _ = await open_socket("treatments")
    watched = await database_sync_to_async(TreatmentFactory)(name="Watched")
    assert (await socket.receive())["data"]["treatment_id"] == watched.pk

    await socket.send({"type": "subscribe", "ids": [watched.pk]})
    assert await socket.receive() == {"type": "subscriptions", "ids": [watched.pk]}
    await database_sync_to_async(TreatmentFactory)(name="Ignored")
    watched.price = "99.00"
    await database_sync_to_async(watched.save)()
    update = await socket.receive()
    assert update["action"] == "updated" and update["data"]["treatment_id"] == watched.pk

    await socket.send({"type": "unsubscribe", "ids": [watched.pk]})
    assert await socket.receive() == {"type": "subscriptions", "ids": None}
    other = await database_sync_to_async(TreatmentFactory)(name="Seen again")
    assert (await socket.receive())["data"]["treatment_id"] == other.pk


async def test_unknown_channel_is_refused_with_4404(open_socket):
    socket, first = await open_socket("kittens")
    assert first["type"] == "error" and first["code"] == "not_found"
    assert await socket.receive() == {"type": "<closed>", "code": 4404}


async def test_route_works_without_trailing_slash():
    socket = Socket(application, "/ws/treatments")
    try:
        assert (await socket.connect())["type"] == "connection_established"
    finally:
        await socket.close()


async def test_expired_token_is_refused_with_4401(open_socket, alice):
    token = AccessToken.for_user(alice)
    token.set_exp(lifetime=-timedelta(minutes=1))
    socket, first = await open_socket("visits", query=f"token={token}")
    assert first["code"] == "unauthenticated" and "expired" in first["message"]
    assert await socket.receive() == {"type": "<closed>", "code": 4401}


async def test_garbage_token_is_refused_with_4401(open_socket):
    socket, first = await open_socket("visits", query="token=not-a-jwt")
    assert first["code"] == "unauthenticated"
    assert (await socket.receive())["code"] == 4401


async def test_deactivated_user_is_refused(open_socket, alice):
    token = AccessToken.for_user(alice)
    alice.is_active = False
    await database_sync_to_async(alice.save)()
    socket, first = await open_socket("visits", query=f"token={token}")
    assert first["code"] == "unauthenticated"


async def test_bearer_header_authenticates_non_browser_clients(open_socket, alice):
    socket, first = await open_socket("visits", headers=[(b"authorization", f"Bearer {token_for(alice)}".encode())])
    assert first == {
        "type": "connection_established",
        "channel": "visits",
        "user_id": str(alice.pk),
        "last_event_id": first["last_event_id"],
    }
    visit = await database_sync_to_async(VisitFactory)(owner=alice)
    assert (await socket.receive())["data"]["visit_id"] == visit.pk


async def test_session_cookie_authenticates_the_admin_pages(open_socket, staff, client):
    await database_sync_to_async(client.force_login)(staff)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    socket, first = await open_socket("vets", headers=[(b"cookie", cookie)])
    assert first["type"] == "connection_established" and first["user_id"] == str(staff.pk)


async def test_customer_on_staff_channel_is_forbidden(open_socket, alice):
    socket, first = await open_socket("vets", alice)
    assert first["code"] == "forbidden"
    assert (await socket.receive())["code"] == 4403
