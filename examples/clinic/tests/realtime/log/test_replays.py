"""Replays are bounded work: read in pages with the audience filtered in SQL, in threads of
their own, charged to the socket's message budget, and never out of order."""

from __future__ import annotations

import asyncio
import threading

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from realtime.log import event_log, messages, selectors, threads as log_reads
from realtime.conf import setting
from realtime.models import Event
from tests.factories import VisitFactory
from tests.realtime.sockets.test_resume import receive_updates
from tests.support.speedups import sent_close_code

pytestmark = pytest.mark.django_db(transaction=True)

create_visit = database_sync_to_async(VisitFactory)


def log_visit_updates(count: int, *, audience: list[int], public: bool = False) -> list[int]:
    """``count`` committed, numbered ``visits`` events seen by staff and ``audience``; their ids."""
    with transaction.atomic():
        for i in range(count):
            payload = messages.realtime_update("visits", "updated", {"visit_id": i, "user_id": audience[0] if audience else None})
            event_log.append(channel="visits", payload=dict(payload), record_id=str(i), audience=audience, public=public)
    return [event.seq for event in event_log.sequence_pending()]


class TestReplayReads:
    def test_a_page_holds_only_what_the_user_may_see(self, alice, bob, staff):
        alices = log_visit_updates(5, audience=[alice.pk])
        bobs = log_visit_updates(2, audience=[bob.pk])
        everyones = log_visit_updates(1, audience=[], public=True)
        newest = everyones[-1]

        def seqs(user, is_staff=False):
            page = selectors.replay_page(channel="visits", after=0, upto=newest, user_id=user.pk, is_staff=is_staff, limit=100)
            return [d.seq for d in page]

        assert seqs(bob) == bobs + everyones
        assert seqs(alice) == alices + everyones
        assert seqs(staff, is_staff=True) == alices + bobs + everyones

    def test_pages_follow_each_other_in_order(self, alice):
        seqs = log_visit_updates(7, audience=[alice.pk])
        first = selectors.replay_page(channel="visits", after=0, upto=seqs[-1], user_id=alice.pk, is_staff=False, limit=3)
        second = selectors.replay_page(
            channel="visits", after=first[-1].seq, upto=seqs[-1], user_id=alice.pk, is_staff=False, limit=3
        )
        assert [d.seq for d in first + second] == seqs[:6]

    def test_more_events_than_the_limit_that_the_user_may_see_ask_for_a_resync(self, alice, bob):
        log_visit_updates(4, audience=[alice.pk])
        newest = log_visit_updates(1, audience=[bob.pk])[-1]
        common = {"channel": "visits", "after": 0, "upto": newest, "is_staff": False, "limit": 3}
        assert selectors.replay_needs_resync(**common, user_id=alice.pk)
        assert not selectors.replay_needs_resync(**common, user_id=bob.pk)  # he may see one of the five

    async def test_log_reads_run_outside_the_shared_sync_thread(self):
        shared = await database_sync_to_async(threading.current_thread)()
        reader = await log_reads.read(threading.current_thread)
        assert reader is not shared and reader.name.startswith("realtime-log-read")

    async def test_at_most_the_configured_number_of_reads_run_at_once(self):
        running, most, lock = 0, 0, threading.Lock()
        release = threading.Event()

        def read() -> None:
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            release.wait(5)
            with lock:
                running -= 1

        reads = asyncio.gather(*(log_reads.read(read) for _ in range(6)))
        await asyncio.sleep(0.3)
        release.set()
        await reads
        assert most == setting("REPLAY_THREADS") == 2


class TestReplaysOverSockets:
    async def test_a_replay_longer_than_a_page_arrives_whole_and_in_order(self, open_socket, alice, settings):
        settings.REALTIME = {**settings.REALTIME, "REPLAY_PAGE": 50}
        seqs = await database_sync_to_async(log_visit_updates)(180, audience=[alice.pk])
        socket, _ = await open_socket("visits", alice, query=f"last_event_id={seqs[0] - 1}")
        got = await receive_updates(socket, 180)
        assert [m["event_id"] for m in got] == seqs
        assert await socket.nothing_more()

    async def test_a_burst_of_resumes_is_charged_as_it_arrives(self, open_socket, alice, bob):
        # 2,000 events bob may not see: on the old server each resume loaded them all, and the
        # bucket refilled while it did, so that 120 resumes sent at once were all served.
        seqs = await database_sync_to_async(log_visit_updates)(2000, audience=[alice.pk])
        socket, _ = await open_socket("visits", bob)
        for _ in range(120):
            await socket.send({"type": "resume", "last_event_id": seqs[0] - 1})
        answers = []
        while (message := await socket.receive(timeout=10))["type"] != "<closed>":
            answers.append(message)
        assert answers[-1]["code"] == "rate_limited" and socket.close_code == sent_close_code(1008)
        assert not any(m["type"] == "realtime_update" for m in answers)

    async def test_one_replay_costs_tokens_by_its_range(self, open_socket, alice, settings):
        settings.REALTIME = {**settings.REALTIME, "MESSAGE_BURST": 10, "REPLAY_ROWS_PER_TOKEN": 100}
        seqs = await database_sync_to_async(log_visit_updates)(2000, audience=[alice.pk])
        # 2,000 events cost 20 tokens, more than a bucket of 10 holds: refused before it is read.
        socket, _ = await open_socket("visits", alice, query=f"last_event_id={seqs[0] - 1}")
        assert (await socket.receive())["code"] == "rate_limited"

    async def test_a_users_sockets_share_one_replay_budget_so_reconnecting_buys_none(self, open_socket, alice, bob, settings):
        settings.REALTIME = {**settings.REALTIME, "MESSAGE_BURST": 10, "MESSAGES_PER_SECOND": 0.1, "REPLAY_ROWS_PER_TOKEN": 100}
        seqs = await database_sync_to_async(log_visit_updates)(600, audience=[alice.pk])
        query = f"last_event_id={seqs[0] - 1}"  # 600 ids: 6 tokens of a budget of 10
        first, _ = await open_socket("visits", bob, query=query)
        assert await first.nothing_more()  # replayed (nothing of it is his)
        second, _ = await open_socket("visits", bob, query=query)
        assert (await second.receive())["code"] == "rate_limited"  # a new socket, the same budget
        hers, _ = await open_socket("visits", alice, query=query)
        assert len(await receive_updates(hers, 600)) == 600  # another user's budget is her own

    async def test_a_late_resume_never_sends_older_events_after_newer_ones(self, open_socket, alice):
        await create_visit(owner=alice, pet_name="a")
        after = await database_sync_to_async(lambda: Event.objects.get(channel="visits").seq)()
        await create_visit(owner=alice, pet_name="missed")
        socket, _ = await open_socket("visits", alice)
        await create_visit(owner=alice, pet_name="live")
        live = await socket.receive_type("realtime_update")
        assert live["data"]["pet_name"] == "live"

        await socket.send({"type": "resume", "last_event_id": after})
        answer = await socket.receive()

        # "missed" can no longer come in order: the client reloads instead.
        assert answer == {"type": "resync_required", "last_event_id": live["event_id"]}

    async def test_a_late_resume_with_nothing_missed_is_not_a_resync(self, open_socket, alice, bob):
        await create_visit(owner=alice, pet_name="a")
        after = await database_sync_to_async(lambda: Event.objects.get(channel="visits").seq)()
        await create_visit(owner=bob, pet_name="bob's, not hers")
        socket, _ = await open_socket("visits", alice)
        await create_visit(owner=alice, pet_name="live")
        await socket.receive_type("realtime_update")

        await socket.send({"type": "resume", "last_event_id": after})
        assert await socket.nothing_more()

    async def test_messages_sent_during_a_replay_are_answered_after_it_in_order(self, open_socket, alice, settings):
        settings.REALTIME = {**settings.REALTIME, "REPLAY_PAGE": 10}
        seqs = await database_sync_to_async(log_visit_updates)(300, audience=[alice.pk])
        socket, _ = await open_socket("visits", alice)
        await socket.send({"type": "resume", "last_event_id": seqs[0] - 1})
        await socket.send({"type": "ping"})
        await socket.send({"type": "resume", "last_event_id": seqs[0] - 1})  # all of it was sent already
        await socket.send({"type": "ping"})
        got = []
        while len([m for m in got if m["type"] == "pong"]) < 2:
            got.append(await socket.receive(timeout=10))
        assert [m["type"] for m in got] == ["realtime_update"] * 300 + ["pong", "pong"]
        assert [m["event_id"] for m in got[:300]] == seqs
