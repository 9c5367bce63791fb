"""Numbering after commit: dense, in each writer's commit order, under concurrent writers, in a
fixed number of statements; and one numbering per transaction, however many events it wrote."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from realtime.log import event_log
from realtime.declaring import publishing
from realtime.declaring.notifications import notification_service
from realtime.log.event_log import Delivery
from realtime.models import Event, EventCounter
from tests.factories import VisitFactory
from tests.support.speedups import speedups_on
from visits import services

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 4
TRANSACTIONS_PER_WRITER = 25


def append_events(count: int, tag: str) -> None:
    for index in range(count):
        event_log.append(channel="visits", payload={"type": "realtime_update", "tag": tag, "index": index})


def statements(queries: CaptureQueriesContext) -> list[str]:
    """What was sent, without the transaction's own BEGIN and COMMIT."""
    return [q["sql"] for q in queries.captured_queries if q["sql"].split()[0].upper() not in {"BEGIN", "COMMIT"}]


def test_concurrent_writers_get_dense_numbers_in_their_commit_order():
    numbered: list[list[Delivery]] = []
    committed: dict[int, list[list[str]]] = {writer: [] for writer in range(WRITERS)}
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def write(writer: int) -> None:
        try:
            start.wait()
            for step in range(TRANSACTIONS_PER_WRITER):
                tag = f"{writer}:{step}"
                with transaction.atomic():
                    append_events(1 + step % 3, tag)
                committed[writer].append(tag)
                numbered.append(event_log.sequence_pending(known_pending=True))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    total = Event.objects.count()
    assert total == WRITERS * sum(1 + step % 3 for step in range(TRANSACTIONS_PER_WRITER))
    # Every event numbered exactly once, with no gap, and the counter at the last number.
    seqs = sorted(d.seq for batch in numbered for d in batch)
    assert seqs == list(range(1, total + 1))
    assert EventCounter.objects.get(pk=1).last_seq == total
    # Each call hands out one contiguous run, in insertion order.
    for batch in numbered:
        assert [d.seq for d in batch] == list(range(batch[0].seq, batch[0].seq + len(batch))) if batch else True
    # A writer's later transaction never gets a smaller number than its earlier one.
    seq_of = {}
    for event in Event.objects.all():
        seq_of.setdefault(event.payload["tag"], []).append(event.seq)
    for writer, tags in committed.items():
        firsts = [min(seq_of[tag]) for tag in tags]
        lasts = [max(seq_of[tag]) for tag in tags]
        assert all(lasts[i] < firsts[i + 1] for i in range(len(tags) - 1)), writer


def test_numbering_is_two_statements_whatever_the_batch_size():
    """Lock the counter, number the events and move the counter: one statement each
    (PostgreSQL's numbering statement also moves the counter; SQLite's transaction holds
    the write lock from its start). Without the speed-ups a third reads the numbered events
    back through the ORM."""
    expected = 2 if speedups_on() else 3
    with transaction.atomic():
        append_events(1, "first")
    event_log.sequence_pending(known_pending=True)  # creates the counter row
    for size in (1, 40):
        with transaction.atomic():
            append_events(size, f"batch-{size}")
        with CaptureQueriesContext(connection) as queries:
            deliveries = event_log.sequence_pending(known_pending=True)
        assert len(deliveries) == size
        assert len(statements(queries)) == expected, statements(queries)
        assert len(queries.captured_queries) == expected + 2  # with BEGIN and COMMIT


def test_the_counter_row_is_created_the_first_time():
    EventCounter.objects.all().delete()
    with transaction.atomic():
        append_events(2, "x")

    assert [d.seq for d in event_log.sequence_pending(known_pending=True)] == [1, 2]
    assert EventCounter.objects.get(pk=1).last_seq == 2


def test_nothing_to_number_costs_one_read_unless_the_caller_knows_better():
    with CaptureQueriesContext(connection) as queries:
        assert event_log.sequence_pending() == []
    assert len(queries.captured_queries) == 1


def test_a_change_numbers_its_events_once_after_commit(alice):
    VisitFactory(owner=alice)  # an earlier change: the counter row exists (its first time is tested above)
    with CaptureQueriesContext(connection) as queries:
        # The visit and its owner's notification: two events, one transaction.
        with transaction.atomic():
            visit = services.visit_book(owner=alice, pet_name="Luna")
            notification_service.sync.send_success_notification(user_id=alice.pk, success_message="Luna's visit is booked")

    sent = [q["sql"] for q in queries.captured_queries]
    commits = [i for i, sql in enumerate(sent) if sql.upper() == "COMMIT"]
    assert len(commits) == 2, sent  # the change, then its numbering
    numbering = sent[commits[0] + 1 :]
    assert sum("ROW_NUMBER()" in sql.upper() for sql in numbering) == 1
    assert not any(sql.upper().startswith("SELECT 1") for sql in numbering), "no pre-check after a commit"
    assert Event.objects.filter(record_id=str(visit.pk), seq__isnull=True).count() == 0
    assert list(Event.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, Event.objects.count() + 1))


def test_each_captured_block_still_sees_a_callback_and_any_of_them_publishes_all(django_capture_on_commit_callbacks, alice):
    with transaction.atomic():
        with django_capture_on_commit_callbacks() as first:
            VisitFactory(owner=alice, pet_name="One")
        with django_capture_on_commit_callbacks() as second:
            VisitFactory(owner=alice, pet_name="Two")
        assert first and second
        assert all(isinstance(callback, publishing.PublishAfterCommit) for callback in first + second)
        second[0]()
        assert not Event.objects.filter(seq__isnull=True).exists()
        with CaptureQueriesContext(connection) as queries:
            for callback in first + second:
                callback()
        assert queries.captured_queries == []
        with django_capture_on_commit_callbacks() as third:
            VisitFactory(owner=alice, pet_name="Three")
        assert third
        third[0]()
        assert not Event.objects.filter(seq__isnull=True).exists()
        transaction.set_rollback(True)


def test_an_appended_event_is_stored_whole_with_its_id_and_time():
    with transaction.atomic():
        before = timezone.now()
        appended = event_log.append(
            channel="visits",
            payload={"type": "realtime_update", "data": {"name": "Luna"}},
            record_id="7",
            audience=[3, 2, 3],
            public=False,
            staff_visible=False,
        )
        assert appended.pk is not None and not appended._state.adding

    stored = Event.objects.get(pk=appended.pk)
    assert (stored.channel, stored.type, stored.record_id) == ("visits", "realtime_update", "7")
    assert stored.audience == [2, 3] and not stored.public and not stored.staff_visible
    assert json.loads(stored.body) == {"type": "realtime_update", "data": {"name": "Luna"}}
    assert before <= stored.created_at <= timezone.now() and stored.created_at == appended.created_at
    [delivery] = event_log.sequence_pending()
    assert delivery.record_id == "7" and delivery.audience == {2, 3} and not delivery.staff_visible
