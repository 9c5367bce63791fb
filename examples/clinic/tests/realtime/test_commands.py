"""The developer's terminal tools: ``listen`` against a running daphne, ``notify`` through the
notification service."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command

from realtime.log import selectors
from realtime.models import Event, Notification
from tests.factories import VisitFactory
from tests.support.listen import listeners
from tests.support.servers import Daphne
from tests.support.sockets import token_for

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server() -> Iterator[Daphne]:
    with Daphne() as daphne:
        yield daphne


@pytest.fixture
def listening() -> Iterator:
    with listeners() as start:
        yield start


# --- listen ----------------------------------------------------------------------------------
@pytest.mark.live
def test_listen_prints_each_event_as_a_json_line(server, listening, alice):
    listener = listening("visits", "--user", "alice", "--json", "--count", "1", "--url", server.ws)
    assert f"listening on visits as user {alice.pk}" in listener.status("listening on")

    visit = VisitFactory(owner=alice, pet_name="Luna")

    event = json.loads(listener.line())
    assert event["type"] == "realtime_update" and event["entity_type"] == "visits" and event["action"] == "created"
    assert event["data"] == {"visit_id": visit.pk, "user_id": alice.pk, "pet_name": "Luna", "status": "booked", "vet_id": None}
    assert isinstance(event["event_id"], int) and event["timestamp"]
    assert listener.wait() == 0  # --count 1 reached


@pytest.mark.live
def test_listen_resumes_after_a_given_event_id_with_readable_lines(server, listening, alice, staff):
    before = selectors.last_seq()
    visit = VisitFactory(owner=alice, pet_name="Missed Rex")

    listener = listening(
        "visits", "--token", token_for(staff), "--last-event-id", str(before), "--count", "1", "--url", server.ws
    )

    line = listener.line()
    assert line.startswith("#") and f" visits created visit_id={visit.pk} " in line and "pet_name='Missed Rex'" in line
    assert listener.wait() == 0


@pytest.mark.live
def test_listen_shows_a_notification_sent_with_notify(server, listening, alice):
    listener = listening("visits", "--user", str(alice.pk), "--count", "1", "--url", server.ws)
    listener.status("listening on visits")

    call_command("notify", "alice", "Your pet is ready")

    line = listener.line()
    assert f"notification success for user {alice.pk} message='Your pet is ready'" in line


@pytest.mark.live
def test_listen_stops_with_an_error_when_the_server_refuses(server, listening, alice):
    unauthenticated = listening("visits", "--token", "not-a-token", "--url", server.ws)
    forbidden = listening("vets", "--user", "alice", "--url", server.ws)

    assert unauthenticated.wait() == 1 and forbidden.wait() == 1
    assert "CommandError: Refused (4401 unauthenticated): Invalid or expired token." in unauthenticated.stderr
    assert "CommandError: Refused (4403 forbidden): This channel is for staff only." in forbidden.stderr
    assert not any("reconnecting" in line for line in unauthenticated.stderr + forbidden.stderr)


@pytest.mark.live
def test_listen_reconnects_after_a_server_restart_and_prints_what_it_missed(server, listening, alice):
    listener = listening("visits", "--user", "alice", "--url", server.ws, "--reconnect-delay", "0.3", "--count", "2")
    listener.status("listening on")
    VisitFactory(owner=alice, pet_name="Before")
    assert "pet_name='Before'" in listener.line()

    server.kill()
    listener.status("reconnecting")
    VisitFactory(owner=alice, pet_name="While down")
    server.start()

    assert "pet_name='While down'" in listener.line(timeout=60)
    assert listener.wait() == 0


def test_listen_refuses_an_unknown_user_and_bad_arguments(alice):
    with pytest.raises(CommandError, match="There is no user 'nobody'"):
        call_command("listen", "visits", "--user", "nobody")
    with pytest.raises(CommandError, match="--url must start with ws://"):
        call_command("listen", "visits", "--url", "http://127.0.0.1:1")
    with pytest.raises(CommandError, match="--last-event-id"):
        call_command("listen", "visits", "--last-event-id", "-1")
    with pytest.raises(CommandError, match="--count"):
        call_command("listen", "visits", "--count", "0")


# --- notify ----------------------------------------------------------------------------------
def test_notify_sends_a_success_notification_by_username(alice, capsys):
    call_command("notify", "alice", "Mascota creada exitosamente")

    notification = Notification.objects.get(user=alice)
    assert (notification.type, notification.data) == ("success", {"message": "Mascota creada exitosamente"})
    event = Event.objects.get(channel="visits", type="notification")
    assert event.payload["notification_type"] == "success" and event.payload["user_id"] == str(alice.pk)
    assert event.audience == [alice.pk] and event.seq is not None  # committed and numbered
    assert f"Sent success notification to alice (id {alice.pk})" in capsys.readouterr().out


def test_notify_sends_an_error_notification_by_id(alice):
    call_command("notify", str(alice.pk), "Error al crear mascota", "--type", "error")

    notification = Notification.objects.get(user=alice)
    assert (notification.type, notification.data) == ("error", {"message": "Error al crear mascota"})


def test_notify_to_an_unknown_user_sends_nothing(alice):
    events_before = Event.objects.count()
    with pytest.raises(CommandError, match="There is no user 'nobody'"):
        call_command("notify", "nobody", "hello")
    with pytest.raises(CommandError, match="There is no user '999999'"):
        call_command("notify", "999999", "hello")
    with pytest.raises(CommandError, match="empty"):
        call_command("notify", "alice", "   ")
    assert Notification.objects.count() == 0 and Event.objects.count() == events_before


def test_notify_refuses_an_unknown_type(alice):
    with pytest.raises(CommandError):
        call_command("notify", "alice", "hello", "--type", "warning")
    assert Notification.objects.count() == 0
