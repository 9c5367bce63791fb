"""One-time socket tickets: ``POST /api/realtime/ticket/`` gives a signed-in user a ticket that
opens exactly one socket, within 30 seconds, on any server process; ``?token=`` keeps working."""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from websockets.sync.client import connect

from realtime.sockets import tickets
from realtime.models import SocketTicket
from realtime.observability import RedactTokensFilter
from tests.support.servers import Daphne, http_json
from tests.support.sockets import token_for

make_ticket = database_sync_to_async(tickets.ticket_create)


@pytest.mark.django_db
def test_a_signed_in_user_gets_a_ticket_valid_for_30_seconds(alice_api, alice):
    response = alice_api.post("/api/realtime/ticket/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"ticket", "expires_in"} and body["expires_in"] == 30
    assert isinstance(body["ticket"], str) and len(body["ticket"]) >= 32
    stored = SocketTicket.objects.get()
    assert stored.user_id == alice.pk and body["ticket"] not in stored.digest  # only a digest is kept


@pytest.mark.django_db
def test_anonymous_callers_get_no_ticket(anonymous_api):
    assert anonymous_api.post("/api/realtime/ticket/").status_code == 401
    assert not SocketTicket.objects.exists()


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_opens_one_socket_as_its_user_and_only_once(open_socket, alice):
    ticket = await make_ticket(user_id=alice.pk)
    _, first = await open_socket("visits", query=f"ticket={ticket}")
    assert first["type"] == "connection_established" and first["user_id"] == str(alice.pk)

    again, refused = await open_socket("visits", query=f"ticket={ticket}")
    assert refused == {"type": "error", "code": "unauthenticated", "message": "Invalid, used or expired ticket."}
    assert (await again.receive())["code"] == 4401


@pytest.mark.django_db(transaction=True)
async def test_an_expired_ticket_is_refused(open_socket, alice):
    ticket = await make_ticket(user_id=alice.pk)
    await SocketTicket.objects.aupdate(expires_at=timezone.now() - timedelta(seconds=1))
    _, refused = await open_socket("visits", query=f"ticket={ticket}")
    assert refused == {"type": "error", "code": "unauthenticated", "message": "Invalid, used or expired ticket."}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("ticket", ["made-up", "x" * 5000, ""])
async def test_a_ticket_that_was_never_issued_is_refused_and_changes_nothing(open_socket, alice, ticket):
    real = await make_ticket(user_id=alice.pk)
    _, refused = await open_socket("visits", query=f"ticket={ticket}")
    assert refused["code"] == "unauthenticated"
    _, first = await open_socket("visits", query=f"ticket={real}")  # other tickets still work
    assert first["user_id"] == str(alice.pk)


@pytest.mark.django_db(transaction=True)
async def test_a_disabled_users_ticket_is_refused(open_socket, bob):
    ticket = await make_ticket(user_id=bob.pk)
    bob.is_active = False
    await bob.asave()
    _, refused = await open_socket("visits", query=f"ticket={ticket}")
    assert refused == {"type": "error", "code": "unauthenticated", "message": "This account is disabled."}


@pytest.mark.django_db(transaction=True)
async def test_bobs_ticket_is_bobs_socket(open_socket, bob, alice):
    _, first = await open_socket("visits", query=f"ticket={await make_ticket(user_id=bob.pk)}")
    assert first["user_id"] == str(bob.pk)


def test_tickets_never_reach_a_log_line():
    record = logging.LogRecord("daphne", logging.INFO, __file__, 1, "WSCONNECT %s", ("/ws/visits/?ticket=abc-DEF_1",), None)
    RedactTokensFilter().filter(record)
    assert record.getMessage() == "WSCONNECT /ws/visits/?ticket=[redacted]"


def handshake(url: str) -> dict:
    with connect(url, open_timeout=10) as ws:
        return json.loads(ws.recv(timeout=10))


@pytest.mark.django_db(transaction=True)
@pytest.mark.live
def test_a_ticket_made_on_one_server_process_opens_a_socket_on_another_exactly_once_when_two_race(alice):
    with Daphne() as first, Daphne() as second:
        status, body = http_json("POST", f"{first.http}/api/realtime/ticket/", token=token_for(alice))
        assert status == 200
        assert handshake(f"{second.ws}/ws/visits/?ticket={json.loads(body)['ticket']}")["user_id"] == str(alice.pk)

        for _ in range(3):
            _, body = http_json("POST", f"{first.http}/api/realtime/ticket/", token=token_for(alice))
            ticket = json.loads(body)["ticket"]
            answers: list[dict] = []
            racers = [
                threading.Thread(target=lambda url=f"{server.ws}/ws/visits/?ticket={ticket}", a=answers: a.append(handshake(url)))
                for server in (first, second)
            ]
            for racer in racers:
                racer.start()
            for racer in racers:
                racer.join(30)
            assert sorted(answer["type"] for answer in answers) == ["connection_established", "error"], answers


@pytest.mark.django_db(transaction=True)
async def test_token_sockets_still_work(open_socket, alice):
    _, first = await open_socket("visits", alice)
    assert first["user_id"] == str(alice.pk)
