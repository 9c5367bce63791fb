"""Presence across real server processes: two daphnes sharing Redis, and one killed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from websockets.sync.client import ClientConnection, connect

from realtime.presence.selectors import present_user_ids
from tests.factories import PetFactory, ReservationFactory
from tests.realtime.conftest import token_for
from tests.support.servers import ROOT, Daphne, RedisServer, child_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


@contextmanager
def joined(server: Daphne, user, record_id: int, state: str = "viewing") -> Iterator[tuple[ClientConnection, dict]]:
    """A socket of ``user`` on ``server`` joined to the record, and the presence_state it got."""
    with connect(f"{server.ws}/ws/reservations/?token={token_for(user)}", open_timeout=20) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_established"
        ws.send(json.dumps({"type": "presence_join", "record_id": record_id, "state": state}))
        yield ws, next_of(ws, "presence_state")


def next_of(ws: ClientConnection, kind: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message["type"] == kind:
            return message


@pytest.fixture
def two_servers(presence_of_its_own):
    with ExitStack() as stack:
        servers = [stack.enter_context(Daphne(REALTIME_PRESENCE_KEY_PREFIX=presence_of_its_own)) for _ in range(2)]
        yield servers


def test_a_join_on_one_process_reaches_the_sockets_of_the_other(two_servers, alice, staff):
    a, b = two_servers
    reservation = ReservationFactory(pet=PetFactory(owner=alice))
    with joined(b, staff, reservation.pk) as (sam, _):
        with joined(a, alice, reservation.pk, "editing") as (owner, state):
            assert [m["user_id"] for m in state["members"]] == [str(alice.pk), str(staff.pk)]  # Sam, seen from A
            diff = next_of(sam, "presence_diff")
            assert [(m["user_id"], m["state"]) for m in diff["joins"]] == [(str(alice.pk), "editing")]
            assert present_user_ids("reservations", str(reservation.pk)) == {str(alice.pk), str(staff.pk)}

            owner.send(json.dumps({"type": "presence_leave", "record_id": reservation.pk}))
            assert next_of(sam, "presence_diff")["leaves"] == [str(alice.pk)]
            assert present_user_ids("reservations", str(reservation.pk)) == {str(staff.pk)}


def test_a_reconnect_to_the_other_process_shows_no_leave(two_servers, alice, staff):
    a, b = two_servers
    reservation = ReservationFactory(pet=PetFactory(owner=alice))
    with joined(b, staff, reservation.pk) as (sam, _):
        with joined(a, alice, reservation.pk):
            next_of(sam, "presence_diff")
        # Closed (a deploy, a flaky network): the browser reconnects, to the other process.
        with joined(b, alice, reservation.pk) as (_, state):
            assert str(alice.pk) in [m["user_id"] for m in state["members"]]
            with pytest.raises(TimeoutError):
                next_of(sam, "presence_diff", timeout=8)  # past the 5 s a close is held back


def test_the_members_of_a_killed_server_leave_within_30_seconds(alice, staff):
    with RedisServer() as redis_server, ExitStack() as stack:
        env = {"REDIS_URL": redis_server.url, "REALTIME_PRESENCE_KEY_PREFIX": f"own-{uuid.uuid4().hex[:8]}:"}
        doomed, survivor = (stack.enter_context(Daphne(**env)) for _ in range(2))
        reservation = ReservationFactory(pet=PetFactory(owner=alice))
        with joined(survivor, staff, reservation.pk) as (sam, _), joined(doomed, alice, reservation.pk):
            next_of(sam, "presence_diff")

            doomed.kill()  # SIGKILL: no chance to say goodbye
            killed_at = time.monotonic()
            leave = next_of(sam, "presence_diff", timeout=60)
            assert leave["leaves"] == [str(alice.pk)]
            assert time.monotonic() - killed_at < 30


def metric(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_and_realtime_stats_show_each_process_topics_and_members(presence_of_its_own, alice, staff):
    env = {"REALTIME_PRESENCE_KEY_PREFIX": presence_of_its_own, "REALTIME_STATS_INTERVAL": "0.2"}
    reservation = ReservationFactory(pet=PetFactory(owner=alice))
    with Daphne(**env) as server, joined(server, staff, reservation.pk), joined(server, alice, reservation.pk):
        deadline = time.monotonic() + 30
        scraped: dict[str, float | None] = {}
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{server.http}/metrics", timeout=10) as response:
                text = response.read().decode()
            scraped = {name: metric(text, name) for name in ("realtime_presence_topics", "realtime_presence_members")}
            if scraped["realtime_presence_members"] == 2.0:
                break
            time.sleep(0.3)
        assert scraped == {"realtime_presence_topics": 1.0, "realtime_presence_members": 2.0}

        out = subprocess.run(
            [sys.executable, "manage.py", "realtime_stats"],
            cwd=ROOT,
            env=child_env(**env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert "presence: 1 topic(s), 2 member(s)" in out.stdout


def test_a_server_that_stops_cleanly_lets_its_members_go_after_the_linger_not_the_expiry(alice, staff):
    # Entries live 10 minutes unless refreshed: a leave within a minute came from the clean stop.
    env = {"REALTIME_PRESENCE_KEY_PREFIX": f"stop-{uuid.uuid4().hex[:8]}:", "REALTIME_PRESENCE_TTL": "600"}
    reservation = ReservationFactory(pet=PetFactory(owner=alice))
    with Daphne(**env) as stopping, Daphne(**env) as staying:
        with joined(staying, staff, reservation.pk) as (sam, _), joined(stopping, alice, reservation.pk):
            next_of(sam, "presence_diff")
            stopping.stop()  # SIGTERM, as a deploy does
            assert next_of(sam, "presence_diff", timeout=60)["leaves"] == [str(alice.pk)]
