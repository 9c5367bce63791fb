"""The API's serializers: fields built once per class, each instance still owning its own, and
related records named by id."""

from __future__ import annotations

import pytest

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


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("owner", "error"),
    [
        (999_999, 'Invalid pk "999999" - object does not exist.'),
        (2**70, f'Invalid pk "{2**70}" - object does not exist.'),
        ("Luna", "Incorrect type. Expected pk value, received str."),
        (True, "Incorrect type. Expected pk value, received bool."),
    ],
)
def test_an_owner_that_is_no_user_is_refused_as_drf_words_it(owner, error):
    pet = serializers.PetSerializer(data={"name": "Luna", "species": "Perro", "owner": owner})
    assert not pet.is_valid()
    assert pet.errors == {"owner": [error]}


@pytest.mark.django_db
def test_an_owner_named_by_id_is_that_user(alice):
    pet = serializers.PetSerializer(data={"name": "Luna", "species": "Perro", "owner": str(alice.pk)})
    assert pet.is_valid(), pet.errors
    assert pet.validated_data["owner"] == alice and pet.validated_data["owner"].username == "alice"
