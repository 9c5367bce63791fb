"""What operators see: connection log lines, the security log, metrics."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import REGISTRY

from realtime.observability import RedactTokensFilter, format_fields, redact, security_log

pytestmark = pytest.mark.django_db(transaction=True)


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_connect_and_disconnect_each_log_one_line(open_socket, alice, caplog):
    caplog.set_level(logging.INFO, logger="realtime.connections")
    socket, _ = await open_socket("visits", alice)
    await socket.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "realtime.connections"]
    assert lines[0].startswith("event=connect channel=visits") and f"user={alice.pk}" in lines[0]
    assert "remote=" in lines[0]
    assert lines[1].startswith("event=disconnect") and "code=" in lines[1] and "duration=" in lines[1] and "sent=0" in lines[1]


async def test_refused_connection_goes_to_the_security_log_without_the_token(open_socket, caplog, monkeypatch):
    # The log's burst per minute is the whole run's: earlier tests' refusals may have used it up.
    monkeypatch.setattr(security_log, "_counts", {})
    caplog.set_level(logging.INFO)
    await open_socket("visits", query="token=secret-looking-token")
    security = [r.getMessage() for r in caplog.records if r.name == "realtime.security"]
    assert any("unauthenticated" in line for line in security)
    assert not any("secret-looking-token" in r.getMessage() for r in caplog.records)


async def test_metrics_count_connections_deliveries_and_refusals(open_socket, alice):
    from channels.db import database_sync_to_async

    from tests.factories import VisitFactory

    refused_before = metric("realtime_connections_refused_total", reason="forbidden")
    delivered_before = metric("realtime_messages_delivered_total", channel="visits", type="realtime_update")
    socket, _ = await open_socket("visits", alice)
    assert metric("realtime_connections", channel="visits") >= 1
    await database_sync_to_async(VisitFactory)(owner=alice)
    await socket.receive_type("realtime_update")
    assert metric("realtime_messages_delivered_total", channel="visits", type="realtime_update") == delivered_before + 1
    assert metric("realtime_delivery_latency_seconds_count", channel="visits") >= 1
    await open_socket("vets", alice)
    assert metric("realtime_connections_refused_total", reason="forbidden") == refused_before + 1


def test_tokens_are_redacted_from_any_log_line():
    assert redact("GET /ws/visits/?token=eyJ.abc.def&last_event_id=4") == "GET /ws/visits/?token=[redacted]&last_event_id=4"
    assert redact("Authorization: Bearer eyJ.abc") == "Authorization: [redacted]".replace(": ", ": Bearer ", 1)
    record = logging.LogRecord("daphne", logging.INFO, "", 0, "WSCONNECT %s", ("/ws/visits/?token=abc",), None)
    RedactTokensFilter().filter(record)
    assert record.getMessage() == "WSCONNECT /ws/visits/?token=[redacted]"


def test_redaction_takes_the_token_only_not_the_words_after_token_equals():
    hint = 'event=refused reason="Authentication required: pass ?token=<JWT access token>."'
    assert redact(hint) == hint
    assert redact('reason="bad ?token=eyJ.a-b_c.d%3D token" x=1') == 'reason="bad ?token=[redacted] token" x=1'
    assert redact("/ws/visits?token=eyJ.abc.def") == "/ws/visits?token=[redacted]"


def test_logfmt_quotes_values_with_spaces():
    assert format_fields({"event": "refused", "detail": 'a "b" c'}) == 'event=refused detail="a \\"b\\" c"'
