"""PetLand's channels over real sockets (a daphne process on a loopback port, Redis): what each
persona sees of a change on each channel, and a pet created over HTTP with its notification."""

from __future__ import annotations

import json
from contextlib import ExitStack

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from tests.factories import (
    EmployeeFactory,
    InvoiceFactory,
    MedicalRecordFactory,
    PaymentFactory,
    PetFactory,
    ReservationFactory,
    ServiceFactory,
)
from tests.support.live_sockets import open_ws, recv, recv_until, silent
from tests.support.servers import Daphne, http_json
from tests.support.sockets import token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


@pytest.fixture
def server():
    with Daphne() as daphne:
        yield daphne


# What each persona sees of a change to a record alice owns, on every channel.
CHANGES = {
    "users": lambda alice: alice.__class__.objects.get(pk=alice.pk).save(),
    "pets": lambda alice: PetFactory(owner=alice),
    "reservations": lambda alice: ReservationFactory(pet__owner=alice),
    "payments": lambda alice: PaymentFactory(reservation__pet__owner=alice),
    "invoices": lambda alice: InvoiceFactory(user=alice),
    "medical_history": lambda alice: MedicalRecordFactory(pet__owner=alice),
    "services": lambda alice: ServiceFactory(),
    "employees": lambda alice: EmployeeFactory(),
    "activity_logs": lambda alice: PetFactory(owner=alice),
}
STAFF_ONLY = {"employees", "activity_logs"}
PUBLIC = {"services"}


@pytest.mark.parametrize("channel", list(CHANGES))
def test_each_persona_sees_exactly_what_it_may(server, channel, alice, bob, staff):
    refused: dict[str, tuple[dict, int]] = {}
    listening: dict[str, ClientConnection] = {}
    with ExitStack() as sockets:
        for name, user in [("anonymous", None), ("alice", alice), ("bob", bob), ("staff", staff)]:
            ws = sockets.enter_context(open_ws(server, channel, user))
            first = recv(ws)
            if first["type"] == "connection_established":
                assert first["channel"] == channel
                assert first["user_id"] == (str(user.pk) if user else None)
                listening[name] = ws
            else:
                with pytest.raises(ConnectionClosed) as closed:
                    ws.recv(timeout=5)
                refused[name] = (first, closed.value.rcvd.code)
        if channel in PUBLIC:
            assert set(listening) == {"anonymous", "alice", "bob", "staff"}
        elif channel in STAFF_ONLY:
            assert refused["anonymous"][0]["code"] == "unauthenticated" and refused["anonymous"][1] == 4401
            assert refused["alice"][0]["code"] == "forbidden" and refused["alice"][1] == 4403
            assert refused["bob"][1] == 4403 and set(listening) == {"staff"}
        else:
            assert refused["anonymous"][0] == {
                "type": "error",
                "code": "unauthenticated",
                "message": refused["anonymous"][0]["message"],
            }
            assert refused["anonymous"][1] == 4401
            assert set(listening) == {"alice", "bob", "staff"}

        CHANGES[channel](alice)

        staff_update = recv_until(listening["staff"], "realtime_update")
        assert staff_update["entity_type"] == channel
        expected_to_see = (
            {"staff"}
            | ({"alice"} if channel not in STAFF_ONLY else set())
            | ({"anonymous", "bob"} if channel in PUBLIC else set())
        )
        for name, ws in listening.items():
            if name == "staff":
                continue
            if name in expected_to_see:
                assert recv_until(ws, "realtime_update") == staff_update
            else:
                assert silent(ws), f"{name} received an event on {channel} it may not see"


def test_pet_created_over_http_arrives_with_its_notification(server, alice):
    token = token_for(alice)
    with open_ws(server, "pets", alice) as pets, open_ws(server, "users", alice) as users:
        recv(pets), recv(users)
        body = json.dumps({"name": "Luna", "species": "Perro", "breed": "Golden Retriever", "age": 3}).encode()
        status, created = http_json("POST", f"{server.http}/api/pets/", body, token)
        assert status == 201, created
        pet_id = json.loads(created)["id"]
        update = recv_until(pets, "realtime_update")
        assert update["data"] == {
            "pet_id": pet_id,
            "name": "Luna",
            "species": "Perro",
            "breed": "Golden Retriever",
            "age": 3,
            "user_id": alice.pk,
        }
        notice = recv_until(users, "notification")
        assert notice["notification_type"] == "pet_created" and notice["user_id"] == str(alice.pk)
        assert notice["data"] == {"pet_name": "Luna", "pet_id": pet_id}
