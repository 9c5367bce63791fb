"""The change feed on a real daphne: a long-poll that an event wakes before its wait ends, and
the newline-delimited stream (its lines, heartbeats, resuming from a cursor, resync)."""

from __future__ import annotations

import http.client
import json
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from realtime.log import selectors
from realtime.models import Event
from tests.factories import InvoiceFactory, PetFactory
from tests.support.sockets import token_for
from tests.realtime.feed.conftest import key_for
from tests.support.servers import Daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

HEARTBEAT = 1.0  # the server's FEED_HEARTBEAT in these tests (15 s in production)


@pytest.fixture
def server(tmp_path):
    with Daphne(log=tmp_path / "daphne.log", REALTIME_FEED_HEARTBEAT=str(HEARTBEAT)) as daphne:
        yield daphne


class Feed:
    """A client of the feed over plain HTTP/1.1, as an integration would be."""

    def __init__(self, server: Daphne, authorization: str, timeout: float = 40):
        self.port, self.authorization, self.timeout = server.port, authorization, timeout

    def get(self, path: str) -> tuple[int, dict]:
        response = self.open(path)
        return response.status, json.loads(response.read())

    def open(self, path: str) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        connection.request("GET", path, headers={"Authorization": self.authorization})
        return connection.getresponse()


def next_line(stream: http.client.HTTPResponse) -> bytes:
    line = stream.readline()
    assert line.endswith(b"\n"), f"the stream ended: {line!r}"
    return line


def next_message(stream: http.client.HTTPResponse) -> dict:
    """The next message, past any heartbeat."""
    while (line := next_line(stream)) == b"\n":
        pass
    return json.loads(line)


@pytest.fixture
def accounting(server) -> Feed:
    return Feed(server, f"Api-Key {key_for('invoices', 'payments')}")


class TestLongPoll:
    def test_an_event_made_during_the_wait_returns_before_the_wait_ends(self, accounting, alice):
        after = selectors.last_seq()
        answer: dict = {}

        def poll() -> None:
            started = time.monotonic()
            answer["status"], answer["body"] = accounting.get(f"/api/events/?after={after}&channels=invoices&wait=30")
            answer["seconds"] = time.monotonic() - started

        waiting = threading.Thread(target=poll)
        waiting.start()
        time.sleep(1.5)  # the request is waiting by now (if not, it finds the invoice at once: the same answer)
        PetFactory(owner=alice)  # an event the key may not read wakes nobody
        InvoiceFactory(user=alice, number="INV-LP")
        waiting.join(40)

        assert answer["status"] == 200
        assert [e["data"]["number"] for e in answer["body"]["events"]] == ["INV-LP"]
        assert answer["seconds"] < 25  # well before the 30 s wait ended

    def test_nothing_new_answers_an_empty_page_after_the_wait(self, accounting):
        newest = selectors.last_seq()

        status, body = accounting.get(f"/api/events/?after={newest}&wait=1")

        assert (status, body) == (200, {"events": [], "last_event_id": newest, "has_more": False})

    def test_staff_long_poll_with_their_token(self, server, staff, alice):
        after = selectors.last_seq()
        staff_feed = Feed(server, f"Bearer {token_for(staff)}")
        InvoiceFactory(user=alice, number="INV-S")

        status, body = staff_feed.get(f"/api/events/?after={after}&channels=invoices&wait=30")

        assert status == 200 and [e["data"]["number"] for e in body["events"]] == ["INV-S"]


class TestStream:
    def test_lines_then_new_events_then_heartbeats(self, accounting, alice):
        after = selectors.last_seq()
        InvoiceFactory(user=alice, number="INV-1")
        InvoiceFactory(user=alice, number="INV-2")

        stream = accounting.open(f"/api/events/stream?after={after}&channels=invoices")
        assert stream.status == 200 and stream.getheader("Content-Type") == "application/x-ndjson"
        assert stream.getheader("X-Accel-Buffering") == "no" and stream.getheader("Cache-Control") == "no-store"
        first, second = next_message(stream), next_message(stream)
        assert [first["data"]["number"], second["data"]["number"]] == ["INV-1", "INV-2"]
        assert first["type"] == "realtime_update" and first["event_id"] < second["event_id"]

        InvoiceFactory(user=alice, number="INV-3")
        third = next_message(stream)
        assert third["data"]["number"] == "INV-3" and third["event_id"] > second["event_id"]

        assert next_line(stream) == b"\n"  # nothing more for a heartbeat's time
        assert next_line(stream) == b"\n"
        stream.close()

    def test_resuming_from_a_cursor_carries_on_with_no_gap_and_no_duplicate(self, accounting, alice):
        after = selectors.last_seq()
        for n in range(4):
            InvoiceFactory(user=alice, number=f"INV-{n}")
        stream = accounting.open(f"/api/events/stream?after={after}&channels=invoices")
        kept = [next_message(stream) for _ in range(2)]
        stream.close()  # the integration stops, then carries on from the last event it kept
        InvoiceFactory(user=alice, number="INV-4")

        resumed = accounting.open(f"/api/events/stream?after={kept[-1]['event_id']}&channels=invoices")
        rest = [next_message(resumed) for _ in range(3)]
        resumed.close()

        assert [m["data"]["number"] for m in kept + rest] == [f"INV-{n}" for n in range(5)]

    def test_a_cursor_older_than_the_retention_gets_resync_required_and_the_stream_ends(self, accounting, alice):
        start = selectors.last_seq()
        InvoiceFactory(user=alice)
        InvoiceFactory(user=alice)
        Event.objects.filter(seq__lte=start + 1).update(created_at=timezone.now() - timedelta(days=30))
        call_command("prune_events")

        stream = accounting.open(f"/api/events/stream?after={start}")

        assert json.loads(next_line(stream)) == {"type": "resync_required", "last_event_id": selectors.last_seq()}
        assert stream.read() == b""

    def test_a_customer_is_refused_before_any_stream(self, server, alice):
        status, body = Feed(server, f"Bearer {token_for(alice)}").get("/api/events/stream")

        assert status == 403 and "detail" in body


def test_a_feed_request_that_starts_the_hub_leaves_it_working_after_it_ends(server, accounting, alice, tmp_path):
    # The first request of a fresh server starts its hub; the hub must not borrow that
    # request's thread (gone when it ends) for its log polls and gap fills.
    newest = selectors.last_seq()
    assert accounting.get(f"/api/events/?after={newest}&wait=1")[0] == 200
    time.sleep(3)  # several of the hub's log polls (every 0.5 s here)
    InvoiceFactory(user=alice, number="INV-after")

    status, body = accounting.get(f"/api/events/?after={newest}&channels=invoices&wait=30")

    assert [e["data"]["number"] for e in body["events"]] == ["INV-after"]
    assert "could not poll" not in (tmp_path / "daphne.log").read_text()
