"""The clinic's one table of what publishes in real time (``settings.REALTIME["PUBLICATIONS"]``)."""

from __future__ import annotations

from rest_framework import serializers

from realtime import Access, Publication
from visits.models import Treatment, Vet, Visit


class VisitEventSerializer(serializers.ModelSerializer):
    """The ``data`` of a ``realtime_update`` on ``ws/visits/``."""

    visit_id = serializers.IntegerField(source="pk")  # <entity>_id: realtime finds a visit's events by it
    user_id = serializers.IntegerField(source="owner_id")

    class Meta:
        model = Visit
        fields = ["visit_id", "user_id", "pet_name", "status", "vet_id"]


class TreatmentEventSerializer(serializers.ModelSerializer):
    """The ``data`` of a ``realtime_update`` on ``ws/treatments/`` (public)."""

    treatment_id = serializers.IntegerField(source="pk")
    price = serializers.DecimalField(max_digits=8, decimal_places=2)  # a string: "40.00"

    class Meta:
        model = Treatment
        fields = ["treatment_id", "name", "price"]


class VetEventSerializer(serializers.ModelSerializer):
    """The ``data`` of a ``realtime_update`` on ``ws/vets/`` (staff only)."""

    vet_id = serializers.IntegerField(source="pk")

    class Meta:
        model = Vet
        fields = ["vet_id", "name", "on_duty"]


def owner(visit: Visit) -> list[int]:
    """Besides staff, a visit's events are its owner's."""
    return [visit.owner_id]


PUBLICATIONS = [
    Publication("visits", "visit", Visit, VisitEventSerializer, audience=owner),
    Publication("treatments", "treatment", Treatment, TreatmentEventSerializer, access=Access.PUBLIC),
    Publication("vets", "vet", Vet, VetEventSerializer, access=Access.STAFF),
]
