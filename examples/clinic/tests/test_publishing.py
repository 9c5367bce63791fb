"""Changes that send no signal: after ``QuerySet.update()``, ``realtime.publish_instances``
publishes each changed visit, to the same audience as any other change."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

import realtime
from tests.factories import VisitFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def cancel_every_visit_of(user) -> int:
    visits = Visit.objects.filter(owner=user)
    visits.update(status=Visit.Status.CANCELLED)  # no post_save: publishes nothing by itself
    return realtime.publish_instances(visits)


async def test_an_update_publishes_nothing_by_itself_and_publish_instances_sends_one_updated_each(open_socket, alice, bob):
    visits = [await database_sync_to_async(VisitFactory)(owner=alice, pet_name=name) for name in ("Luna", "Coco")]
    alice_socket, _ = await open_socket("visits", alice)
    bob_socket, _ = await open_socket("visits", bob)

    await database_sync_to_async(Visit.objects.filter(owner=alice).update)(status=Visit.Status.DONE)
    assert await alice_socket.nothing_more()

    assert await cancel_every_visit_of(alice) == 2
    updates = [await alice_socket.receive(), await alice_socket.receive()]
    assert sorted(m["data"]["visit_id"] for m in updates) == sorted(v.pk for v in visits)
    assert {(m["action"], m["data"]["status"]) for m in updates} == {("updated", "cancelled")}
    assert await bob_socket.nothing_more()
