"""The clinic's one table of what publishes in real time (``settings.REALTIME["PUBLICATIONS"]``)."""

from __future__ import annotations

from rest_framework import serializers

from realtime import Publication
from visits.models import Visit


class VisitEventSerializer(serializers.ModelSerializer):
    """The ``data`` of a ``realtime_update`` on ``ws/visits/``."""

    visit_id = serializers.IntegerField(source="pk")  # <entity>_id: realtime finds a visit's events by it
    user_id = serializers.IntegerField(source="owner_id")

    class Meta:
        model = Visit
        fields = ["visit_id", "user_id", "pet_name", "status"]


def owner(visit: Visit) -> list[int]:
    """Besides staff, a visit's events are its owner's."""
    return [visit.owner_id]


PUBLICATIONS = [
    Publication("visits", "visit", Visit, VisitEventSerializer, audience=owner),
]
