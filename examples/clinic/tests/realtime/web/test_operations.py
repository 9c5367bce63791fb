"""Health checks, metrics and the stats command, as an operator uses them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.test import override_settings
from websockets.sync.client import connect

from tests.factories import VisitFactory
from tests.realtime.child_settings import realtime_settings
from tests.support.metrics import gauge, scrape
from tests.support.servers import CLINIC, Daphne, child_env, free_port
from tests.support.sockets import token_for


def test_healthz_answers_while_the_process_runs(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_the_database_and_a_channel_layer_round_trip(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "channel_layer": "ok"}}


@pytest.mark.django_db
def test_readyz_is_503_when_redis_does_not_answer(client, settings):
    unreachable = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{free_port()}/0"]},
        }
    }
    with override_settings(CHANNEL_LAYERS=unreachable, REALTIME={**settings.REALTIME, "READY_TIMEOUT": 0.5}):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready" and body["checks"]["database"] == "ok"
    assert body["checks"]["channel_layer"].startswith("error")


@pytest.mark.django_db
def test_metrics_only_for_allowed_networks_or_staff(client, staff):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    client.force_login(staff)
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    assert b"realtime_messages_delivered_total" in response.content


@pytest.mark.django_db(transaction=True)
@pytest.mark.live
def test_metrics_add_up_across_server_processes(tmp_path, alice):
    shared = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    with Daphne(**shared) as first, Daphne(**shared) as second:
        with (
            connect(f"{first.ws}/ws/visits/?token={token_for(alice)}") as a,
            connect(f"{second.ws}/ws/visits/?token={token_for(alice)}") as b,
        ):
            a.recv(timeout=5), b.recv(timeout=5)
            assert gauge(scrape(first), "realtime_connections", "visits") == 2.0


@pytest.mark.django_db(transaction=True)
@pytest.mark.live
def test_realtime_stats_lists_each_server_process_and_its_connections(alice):
    VisitFactory(owner=alice)  # an event of the last minute
    with Daphne(**realtime_settings(STATS_INTERVAL=0.2)) as server:
        with connect(f"{server.ws}/ws/visits/?token={token_for(alice)}") as ws:
            ws.recv(timeout=5)
            report: dict = {}
            for _ in range(50):
                out = subprocess.run(
                    [sys.executable, "manage.py", "realtime_stats", "--json"],
                    cwd=CLINIC.root,
                    env=child_env(),
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
                assert out.returncode == 0, out.stderr
                report = json.loads(out.stdout.strip().splitlines()[-1])
                if any(p["connections"].get("visits") == 1 for p in report["processes"]):
                    break
            assert any(p["connections"] == {"visits": 1} for p in report["processes"]), report
            assert report["events_last_minute"] >= 1 and report["oldest_undelivered_age_seconds"] is None
