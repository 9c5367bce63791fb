"""Two deployments on one Redis server, with the same ``REALTIME_REDIS_PREFIX`` and different
databases and Redis database numbers: Redis pub/sub ignores the database number, so each hears
the other's batches. Each deployment has an identity of its own, made at its first migrate;
hubs drop, count and log (once) the batches of the other, and deliver their own as before."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from realtime.delivery import layer
from realtime.models import Deployment
from tests.support.metrics import scrape
from tests.support.servers import CLINIC, Daphne, child_env, http_json, run_in_shell
from tests.support.sockets import token_for

FOREIGN_WARNING = "dropped a batch of another deployment"


def redis_db(number: int) -> str:
    """This run's Redis server, with another database number."""
    parts = urlsplit(settings.REDIS_URL)
    return urlunsplit(parts._replace(path=f"/{number}"))


@pytest.mark.django_db
def test_the_deployment_has_one_identity_made_at_migrate_and_read_once_per_process():
    stored = Deployment.objects.get()
    assert len(stored.identity) == 32
    assert layer.deployment_identity() == stored.identity


@pytest.mark.django_db(transaction=True)
def test_a_flush_keeps_the_identity_this_process_works_under():
    known = layer.deployment_identity()
    call_command("flush", interactive=False, verbosity=0)
    assert Deployment.objects.get().identity == known


def receive_json(ws: ClientConnection, timeout: float = 10) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def nothing_more(ws: ClientConnection, wait: float = 1.5) -> list[dict]:
    """What else arrives within ``wait`` seconds (three polls of the log: long enough for a
    stray event to show up)."""
    received = []
    try:
        while True:
            received.append(receive_json(ws, timeout=wait))
    except TimeoutError:
        return received
    except ConnectionClosed:
        return received


@pytest.mark.django_db(transaction=True)
@pytest.mark.live
def test_two_deployments_on_one_redis_hear_only_their_own_events(tmp_path, staff, alice):
    other_db = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    other = {"DATABASE_URL": other_db, "REDIS_URL": redis_db(9)}
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=CLINIC.root,
        env=child_env(**other),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stderr
    made = run_in_shell(
        "import json; from tests.factories import StaffFactory, UserFactory;"
        "from rest_framework_simplejwt.tokens import AccessToken;"
        "s = StaffFactory(username='olga_staff'); c = UserFactory(username='carol');"
        "print(json.dumps({'staff': str(AccessToken.for_user(s)), 'carol': c.pk}))",
        **other,
    )
    theirs = json.loads(made.stdout.strip().splitlines()[-1])

    with Daphne(REDIS_URL=redis_db(8)) as ours_server, Daphne(**other) as their_server:
        with (
            connect(f"{ours_server.ws}/ws/visits/?token={token_for(staff)}", open_timeout=10) as ours,
            connect(f"{their_server.ws}/ws/visits/?token={theirs['staff']}", open_timeout=10) as their,
        ):
            assert receive_json(ours)["type"] == receive_json(their)["type"] == "connection_established"

            # Their deployment makes more events than ours has: ids past our own.
            run_in_shell(
                "from tests.factories import VisitFactory; from django.contrib.auth import get_user_model;"
                f"carol = get_user_model().objects.get(pk={theirs['carol']});"
                "[VisitFactory(owner=carol, pet_name=f'Theirs {n}') for n in range(3)]",
                **other,
            )
            assert [receive_json(their)["data"]["pet_name"] for _ in range(3)] == ["Theirs 0", "Theirs 1", "Theirs 2"]

            body = json.dumps({"pet_name": "Ours"}).encode()
            status, created = http_json("POST", f"{ours_server.http}/api/visits/", body, token_for(alice))
            assert status == 201, created

            first = receive_json(ours)
            assert (first["action"], first["data"]["pet_name"]) == ("created", "Ours")  # ours, live, and first
            assert nothing_more(ours) == []  # none of theirs
            assert nothing_more(their) == []  # none of ours

            metrics = scrape(ours_server)
            dropped = [line for line in metrics.splitlines() if line.startswith("realtime_foreign_batches_dropped_total ")]
            assert dropped and float(dropped[0].split()[1]) >= 3, dropped
        ours_server.stop()
        log = ours_server.proc.stdout.read()
    assert log.count(FOREIGN_WARNING) == 1, log  # logged once, however many batches


@pytest.mark.django_db(transaction=True)
async def test_a_hub_drops_a_batch_of_another_deployment(open_socket, staff, alice):
    """In process: a batch on the layer that names another deployment reaches no socket, and
    does not move the hub's position."""
    from channels.layers import get_channel_layer

    from realtime.conf import setting
    from realtime.log.event_log import Delivery
    from realtime.delivery.hub import Hub
    from realtime.observability import FOREIGN_BATCHES

    socket, established = await open_socket("visits", staff)
    hub = await Hub.running()
    position = hub.position
    foreign = Delivery(
        position + 5,
        "visits",
        "realtime_update",
        "1",
        frozenset(),
        False,
        True,
        f'{{"type":"realtime_update","event_id":{position + 5}}}',
        0.0,
    )
    before = FOREIGN_BATCHES._value.get()
    await get_channel_layer().group_send(
        setting("GROUP"),
        {"type": layer.LAYER_MESSAGE_TYPE, "deployment": "someone-else", "events": [foreign.to_wire()]},
    )
    for _ in range(100):
        if FOREIGN_BATCHES._value.get() > before:
            break
        await asyncio.sleep(0.05)
    assert FOREIGN_BATCHES._value.get() == before + 1
    assert await socket.nothing_more(0.5)
    assert hub.position == position
