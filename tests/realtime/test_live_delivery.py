"""Delivery over real sockets: a daphne process on a loopback port, Redis, and writes made in
this process, over HTTP, or from another OS process."""

from __future__ import annotations

import json
import subprocess
from contextlib import ExitStack

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.factories import (
    EmployeeFactory,
    InvoiceFactory,
    MedicalRecordFactory,
    PaymentFactory,
    PetFactory,
    ReservationFactory,
    ServiceFactory,
)
from tests.realtime.conftest import token_for
from tests.support.servers import Daphne, http_json, run_in_shell

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


@pytest.fixture
def server():
    with Daphne() as daphne:
        yield daphne


def open_ws(server: Daphne, channel: str, user=None, query: str = "", **kwargs) -> ClientConnection:
    params = ([f"token={token_for(user)}"] if user is not None else []) + ([query] if query else [])
    url = f"{server.ws}/ws/{channel}/" + (f"?{'&'.join(params)}" if params else "")
    return connect(url, open_timeout=10, **kwargs)


def recv(ws: ClientConnection, timeout: float = 5) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def recv_until(ws: ClientConnection, kind: str, timeout: float = 5) -> dict:
    while True:
        message = recv(ws, timeout)
        if message["type"] == kind:
            return message


def silent(ws: ClientConnection, timeout: float = 0.5) -> bool:
    try:
        ws.recv(timeout=timeout)
    except TimeoutError:
        return True
    return False


def closed_with(ws: ClientConnection) -> tuple[dict, int]:
    error = recv(ws)
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=5)
    return error, closed.value.rcvd.code


def test_curl_handshake_answers_101(server):
    result = subprocess.run(
        [
            "curl",
            "-i",
            "-N",
            "--max-time",
            "2",
            "-H",
            "Connection: Upgrade",
            "-H",
            "Upgrade: websocket",
            "-H",
            "Sec-WebSocket-Version: 13",
            "-H",
            "Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==",
            f"{server.http}/ws/pets",
        ],
        capture_output=True,
    )
    assert result.stdout.startswith(b"HTTP/1.1 101 Switching Protocols"), result.stdout


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


def test_change_in_another_os_process_reaches_the_socket(server, alice):
    with open_ws(server, "pets", alice) as ws:
        ready = recv(ws)
        run_in_shell(
            "from petland.models import Pet, User\n"
            f"Pet.objects.create(owner=User.objects.get(pk={alice.pk}), name='Shell Rex', species='Perro', age=2)"
        )
        update = recv_until(ws, "realtime_update")
        assert update["data"]["name"] == "Shell Rex" and update["event_id"] > ready["last_event_id"]


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


def test_browser_from_a_foreign_origin_is_refused(server, alice):
    with pytest.raises(Exception) as refused:
        open_ws(server, "services", origin="https://evil.example")
    assert "403" in str(refused.value)
    with open_ws(server, "services", origin=f"http://localhost:{server.port}") as ws:
        assert recv(ws)["type"] == "connection_established"


def test_two_server_processes_work_as_one(alice, staff):
    with Daphne() as first, Daphne() as second:
        with open_ws(first, "pets", alice) as on_first, open_ws(second, "pets", staff) as on_second:
            recv(on_first), recv(on_second)
            body = json.dumps({"name": "via first", "species": "Gato"}).encode()
            assert http_json("POST", f"{first.http}/api/pets/", body, token_for(alice))[0] == 201
            run_in_shell(
                "from petland.models import Pet, User\n"
                f"Pet.objects.create(owner=User.objects.get(pk={alice.pk}), name='via shell', species='Gato')"
            )
            body = json.dumps({"name": "via second", "species": "Gato"}).encode()
            assert http_json("POST", f"{second.http}/api/pets/", body, token_for(alice))[0] == 201
            for ws in (on_first, on_second):
                names = [recv_until(ws, "realtime_update")["data"]["name"] for _ in range(3)]
                assert names == ["via first", "via shell", "via second"]
            for ws in (on_first, on_second):
                # Once each: a server hands its own writes to its sockets directly, and drops the
                # copy that comes back through Redis.
                with pytest.raises(TimeoutError):
                    ws.recv(timeout=1.0)
