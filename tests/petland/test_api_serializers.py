"""The API's serializers build their fields once per class; each instance still owns its own."""

from __future__ import annotations

from petland.api import serializers


def test_each_serializer_gets_fields_of_its_own_bound_to_it():
    first, second = serializers.PetSerializer(), serializers.PetSerializer()
    assert list(first.fields) == ["id", "owner", "name", "species", "breed", "age"]
    assert first.fields["owner"] is not second.fields["owner"]
    assert first.fields["owner"].parent is first and second.fields["owner"].parent is second


def test_changing_one_instances_field_leaves_the_next_instance_alone():
    changed = serializers.PetSerializer()
    changed.fields["name"].read_only = True
    fresh = serializers.PetSerializer(data={"name": "Luna", "species": "Perro"})
    assert not fresh.fields["name"].read_only
    assert fresh.is_valid(), fresh.errors
    assert fresh.validated_data["name"] == "Luna"
