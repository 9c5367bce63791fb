"""Guard for ``realtime.speedups.django_orm``: an event inserted with the INSERT built once, and
the numbering's rows turned into instances, are exactly what Django's ORM would store and read,
so that an upgrade of Django that changes its converters or field preparation fails here."""

from __future__ import annotations

import pytest
from django.db import connection, models, transaction

from realtime.log import event_log
from realtime.models import Event
from realtime.speedups import django_orm

pytestmark = pytest.mark.django_db


def values(instance: models.Model) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def an_event(**fields: object) -> Event:
    defaults = {"channel": "pets", "type": "realtime_update", "record_id": "7", "audience": [3, 5], "body": '{"a":1}'}
    return Event(**{**defaults, **fields})


@pytest.mark.skipif(not connection.features.can_return_columns_from_insert, reason="the prebuilt INSERT needs RETURNING")
def test_an_inserted_event_is_the_row_the_orm_would_have_stored():
    fast, orm = an_event(record_id="fast"), an_event(record_id="orm")
    django_orm.insert(fast, connection)
    orm.save(force_insert=True)

    assert fast.pk is not None and not fast._state.adding and fast._state.db == "default"
    stored = {event.record_id: values(event) for event in Event.objects.all()}
    for name in ("pk", "id", "created_at", "record_id"):
        stored["fast"].pop(name, None), stored["orm"].pop(name, None)
    assert stored["fast"] == stored["orm"]
    assert Event.objects.get(pk=fast.pk).created_at is not None  # pre_save's auto_now_add ran


def test_rows_of_every_column_become_instances_as_the_orm_reads_them():
    for audience, public in (([4], False), ([], True)):
        an_event(audience=audience, public=public).save()
    table = connection.ops.quote_name(Event._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {django_orm.returning_columns(Event, 'default')} FROM {table} ORDER BY 1")
        found = django_orm.instances(Event, "default", cursor.fetchall())

    assert found and [values(event) for event in found] == [values(event) for event in Event.objects.order_by("pk")]
    assert found[0].audience == [4] and found[0].public is False and found[0].created_at.tzinfo is not None


@pytest.mark.parametrize("fast", [True, False], ids=["speedups", "orm"])
def test_numbering_returns_the_same_events_with_and_without_the_speedups(fast, settings):
    settings.REALTIME = {**settings.REALTIME, "SPEEDUPS": fast}
    with transaction.atomic():
        appended = [event_log.append(channel="pets", payload={"type": "realtime_update"}, record_id=str(n)) for n in range(3)]
    numbered = event_log.sequence_pending(known_pending=True)

    assert [delivery.record_id for delivery in numbered] == ["0", "1", "2"]
    assert [delivery.seq for delivery in numbered] == sorted(delivery.seq for delivery in numbered)
    assert {event.pk for event in appended} == set(Event.objects.filter(seq__isnull=False).values_list("pk", flat=True))
