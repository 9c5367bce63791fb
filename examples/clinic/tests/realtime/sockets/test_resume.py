"""No lost updates: resume after reconnect, holes filled from the log, stored notifications."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import quote

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command
from django.utils import timezone

from realtime.log import event_log, messages, services
from realtime.models import Event, Notification
from realtime.declaring.notifications import notification_service
from tests.factories import TreatmentFactory, VisitFactory

pytestmark = pytest.mark.django_db(transaction=True)

create_visit = database_sync_to_async(VisitFactory)


async def receive_updates(socket, count: int, timeout: float = 5) -> list[dict]:
    got = []
    while len(got) < count:
        message = await socket.receive(timeout)
        if message["type"] in ("realtime_update", "notification"):
            got.append(message)
    return got


async def test_client_that_missed_200_updates_gets_all_exactly_once_in_order(open_socket, alice):
    first, _ = await open_socket("visits", alice)
    await create_visit(owner=alice, pet_name="seen")
    last_seen = (await first.receive())["event_id"]
    await first.close()

    missed = [await create_visit(owner=alice, pet_name=f"missed {i}") for i in range(200)]

    second, ready = await open_socket("visits", alice, query=f"last_event_id={last_seen}")
    assert ready["type"] == "connection_established"
    replayed = await receive_updates(second, 200)
    assert [m["data"]["visit_id"] for m in replayed] == [v.pk for v in missed]
    ids = [m["event_id"] for m in replayed]
    assert ids == sorted(set(ids)) and ids[0] > last_seen
    assert await second.nothing_more()


async def test_events_published_while_the_replay_runs_arrive_once_and_in_order(open_socket, alice):
    await create_visit(owner=alice, pet_name="before")
    resume_from = await database_sync_to_async(lambda: Event.objects.filter(channel="visits").order_by("seq").first().seq)()
    for i in range(30):
        await create_visit(owner=alice, pet_name=f"old {i}")

    async def write_during_replay():
        for i in range(30):
            await create_visit(owner=alice, pet_name=f"new {i}")

    writer = asyncio.ensure_future(write_during_replay())
    socket, _ = await open_socket("visits", alice, query=f"last_event_id={resume_from}")
    await writer
    got = await receive_updates(socket, 60)
    names = [m["data"]["pet_name"] for m in got]
    assert names == [f"old {i}" for i in range(30)] + [f"new {i}" for i in range(30)]
    assert [m["event_id"] for m in got] == sorted({m["event_id"] for m in got})
    assert await socket.nothing_more()


async def test_resume_by_message(open_socket, alice):
    await create_visit(owner=alice, pet_name="a")
    after = await database_sync_to_async(lambda: Event.objects.filter(channel="visits").get().seq)()
    await create_visit(owner=alice, pet_name="b")
    socket, _ = await open_socket("visits", alice)
    await socket.send({"type": "resume", "last_event_id": after})
    replayed = await socket.receive()
    assert replayed["data"]["pet_name"] == "b"


async def test_replay_respects_visibility(open_socket, alice, bob):
    await create_visit(owner=alice, pet_name="alice's")
    await create_visit(owner=bob, pet_name="bob's")
    socket, _ = await open_socket("visits", bob, query="last_event_id=0")
    got = await receive_updates(socket, 1)
    assert [m["data"]["pet_name"] for m in got] == ["bob's"]
    assert await socket.nothing_more()


async def test_resume_from_before_the_retention_asks_for_resync(open_socket, alice):
    await create_visit(owner=alice)
    await create_visit(owner=alice)
    await database_sync_to_async(lambda: Event.objects.filter(seq=1).update(created_at=timezone.now() - timedelta(days=30)))()
    await database_sync_to_async(call_command)("prune_events")
    socket, ready = await open_socket("visits", alice, query="last_event_id=0")
    assert await socket.receive() == {"type": "resync_required", "last_event_id": ready["last_event_id"]}


async def test_resume_from_an_id_the_server_never_gave_asks_for_resync(open_socket, alice):
    socket, ready = await open_socket("visits", alice, query="last_event_id=999999")
    assert (await socket.receive())["type"] == "resync_required"


def _publish_without_transport(channel: str, data: dict, audience: list[int]) -> None:
    """An event committed and numbered whose channel-layer message was lost."""
    event_log.append(
        channel=channel,
        payload=dict(messages.realtime_update(channel, "updated", data)),
        record_id=str(data["visit_id"]),
        audience=audience,
    )
    event_log.sequence_pending()


async def test_event_whose_message_was_lost_still_arrives_from_the_log(open_socket, alice):
    socket, _ = await open_socket("visits", alice)
    await database_sync_to_async(_publish_without_transport)("visits", {"visit_id": 1, "user_id": alice.pk}, [alice.pk])
    lost = await socket.receive(timeout=5)
    assert lost["data"] == {"visit_id": 1, "user_id": alice.pk}


async def test_lost_message_in_the_middle_is_filled_before_the_next_is_delivered(open_socket, alice):
    socket, _ = await open_socket("visits", alice)
    await create_visit(owner=alice, pet_name="one")
    await database_sync_to_async(_publish_without_transport)("visits", {"visit_id": 2, "user_id": alice.pk}, [alice.pk])
    await create_visit(owner=alice, pet_name="three")
    got = await receive_updates(socket, 3)
    assert [m["data"].get("pet_name", "lost") for m in got] == ["one", "lost", "three"]
    assert [m["event_id"] for m in got] == sorted(m["event_id"] for m in got)


class TestStoredNotifications:
    async def test_offline_user_gets_stored_notifications_first_on_every_socket_until_she_acks(self, open_socket, alice):
        stored = await notification_service.send_success_notification(user_id=alice.pk, success_message="while away")
        socket, ready = await open_socket("visits", alice)
        waiting = await socket.receive()
        assert waiting["type"] == "notification" and waiting["data"] == {"message": "while away"}
        assert waiting["notification_id"] == stored
        assert waiting["event_id"] <= ready["last_event_id"]
        await socket.close()  # gone before confirming it: the next socket gets it again

        again, _ = await open_socket("visits", alice)
        assert (await again.receive())["notification_id"] == stored
        await again.send({"type": "ack", "ids": [stored]})
        assert await again.nothing_more()  # an ack is not answered
        await again.close()

        confirmed, _ = await open_socket("visits", alice)
        assert await confirmed.nothing_more()

    async def test_a_stored_notification_comes_with_a_resume_too(self, open_socket, alice):
        stored = await notification_service.send_success_notification(user_id=alice.pk, success_message="while away")
        newest = await database_sync_to_async(lambda: Event.objects.order_by("-seq").first().seq)()
        socket, _ = await open_socket("visits", alice, query=f"last_event_id={newest}")
        assert (await socket.receive())["notification_id"] == stored

    async def test_a_notification_read_elsewhere_is_not_sent_again(self, open_socket, alice):
        stored = await notification_service.send_success_notification(user_id=alice.pk, success_message="seen")
        await database_sync_to_async(services.notifications_mark_read)(user_id=alice.pk, ids=[stored])
        socket, _ = await open_socket("visits", alice)
        assert await socket.nothing_more()

    async def test_a_live_notification_names_its_notification_id(self, open_socket, alice):
        socket, _ = await open_socket("visits", alice)
        sent = await notification_service.send_success_notification(user_id=alice.pk, success_message="now")
        assert (await socket.receive_type("notification"))["notification_id"] == sent

    async def test_acks_of_another_users_notifications_change_nothing(self, open_socket, alice, bob):
        bobs = await notification_service.send_success_notification(user_id=bob.pk, success_message="bob's")
        socket, _ = await open_socket("visits", alice)
        await socket.send({"type": "ack", "ids": [bobs]})
        await socket.send({"type": "ping"})
        assert (await socket.receive())["type"] == "pong"
        assert await database_sync_to_async(lambda: Notification.objects.get(pk=bobs).acknowledged_at)() is None

    async def test_an_ack_with_bad_ids_is_invalid(self, open_socket, alice):
        socket, _ = await open_socket("visits", alice)
        await socket.send({"type": "ack", "ids": ["seven"]})
        assert (await socket.receive())["code"] == "invalid_message"

    async def test_mark_read_on_the_socket(self, open_socket, alice, bob):
        socket, _ = await open_socket("visits", alice)
        await notification_service.send_success_notification(user_id=alice.pk, success_message="hi")
        await socket.receive()
        mine = await database_sync_to_async(lambda: Notification.objects.get(user=alice).pk)()
        await notification_service.send_success_notification(user_id=bob.pk, success_message="bob's")
        bobs = await database_sync_to_async(lambda: Notification.objects.get(user=bob).pk)()
        await socket.send({"type": "mark_read", "ids": [mine, bobs]})
        assert await socket.receive() == {"type": "marked_read", "ids": [mine]}
        assert await database_sync_to_async(lambda: Notification.objects.get(pk=bobs).read_at)() is None

    async def test_mark_read_is_not_a_message_of_a_channel_without_notifications(self, open_socket, alice):
        socket, _ = await open_socket("treatments", alice)
        await socket.send({"type": "mark_read", "ids": [1]})
        assert (await socket.receive())["code"] == "invalid_message"


def test_notifications_rest_api(alice, bob, alice_api, bob_api):
    notification_service.sync.send_success_notification(alice.pk, "one")
    notification_service.sync.send_error_notification(alice.pk, "two")
    notification_service.sync.send_success_notification(bob.pk, "bob's")
    listed = alice_api.get("/api/notifications/").json()  # the clinic does not paginate
    assert [n["data"]["message"] for n in listed] == ["two", "one"]
    first = listed[1]["id"]
    assert bob_api.post(f"/api/notifications/{first}/read/").status_code == 404
    assert alice_api.post(f"/api/notifications/{first}/read/").json()["read_at"] is not None
    assert [n["data"]["message"] for n in alice_api.get("/api/notifications/?unread=true").json()] == ["two"]
    assert alice_api.get("/api/notifications/?unread=maybe").status_code == 400
    assert len(alice_api.post("/api/notifications/read-all/").json()["marked_read"]) == 1
    assert alice_api.get("/api/notifications/?unread=true").json() == []
    assert len(bob_api.get("/api/notifications/?unread=true").json()) == 1


def test_prune_events_keeps_what_is_within_retention(alice):
    VisitFactory(owner=alice)
    TreatmentFactory()
    Event.objects.filter(channel="visits").update(created_at=timezone.now() - timedelta(days=8))
    kept = Event.objects.exclude(channel="visits").count()
    call_command("prune_events")
    assert Event.objects.count() == kept and kept > 0


@pytest.mark.parametrize("bad", ["abc", "-1", "4.5", "²", "99999999999999999999999"])
async def test_a_last_event_id_that_is_not_an_event_id_is_reported_and_nothing_is_replayed(open_socket, alice, bad):
    await create_visit(owner=alice, pet_name="before")
    socket, ready = await open_socket("visits", alice, query=f"last_event_id={quote(bad)}")
    assert ready["type"] == "connection_established"
    error = await socket.receive()
    assert error["type"] == "error" and error["code"] == "invalid_message" and "last_event_id" in error["message"]
    assert await socket.nothing_more()  # the visit made before is not replayed
    await socket.send({"type": "resume", "last_event_id": 0})  # the socket is still usable
    assert (await socket.receive())["data"]["pet_name"] == "before"
