"""Delivery over real sockets: a daphne process on a loopback port, Redis, and writes made in
this process, over HTTP, or from another OS process."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support.live_sockets import open_ws, recv, recv_until
from tests.support.servers import Daphne, http_json, run_in_shell
from tests.support.sockets import token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


@pytest.fixture
def server():
    with Daphne() as daphne:
        yield daphne


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
            f"{server.http}/ws/visits",
        ],
        capture_output=True,
    )
    assert result.stdout.startswith(b"HTTP/1.1 101 Switching Protocols"), result.stdout


def test_change_in_another_os_process_reaches_the_socket(server, alice):
    with open_ws(server, "visits", alice) as ws:
        ready = recv(ws)
        run_in_shell(f"from visits.models import Visit\nVisit.objects.create(owner_id={alice.pk}, pet_name='Shell Rex')")
        update = recv_until(ws, "realtime_update")
        assert update["data"]["pet_name"] == "Shell Rex" and update["event_id"] > ready["last_event_id"]


def test_browser_from_a_foreign_origin_is_refused(server, alice):
    with pytest.raises(Exception) as refused:
        open_ws(server, "treatments", origin="https://evil.example")
    assert "403" in str(refused.value)
    with open_ws(server, "treatments", origin=f"http://localhost:{server.port}") as ws:
        assert recv(ws)["type"] == "connection_established"


def test_two_server_processes_work_as_one(alice, staff):
    with Daphne() as first, Daphne() as second:
        with open_ws(first, "visits", alice) as on_first, open_ws(second, "visits", staff) as on_second:
            recv(on_first), recv(on_second)
            body = json.dumps({"pet_name": "via first"}).encode()
            assert http_json("POST", f"{first.http}/api/visits/", body, token_for(alice))[0] == 201
            run_in_shell(f"from visits.models import Visit\nVisit.objects.create(owner_id={alice.pk}, pet_name='via shell')")
            body = json.dumps({"pet_name": "via second"}).encode()
            assert http_json("POST", f"{second.http}/api/visits/", body, token_for(alice))[0] == 201
            for ws in (on_first, on_second):
                names = [recv_until(ws, "realtime_update")["data"]["pet_name"] for _ in range(3)]
                assert names == ["via first", "via shell", "via second"]
            for ws in (on_first, on_second):
                # Once each: a server hands its own writes to its sockets directly, and drops the
                # copy that comes back through Redis.
                with pytest.raises(TimeoutError):
                    ws.recv(timeout=1.0)
