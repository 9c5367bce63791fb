"""Guard for ``petland.speedups.drf``: a serializer's fields built once per class are, for every
serializer of the API, the fields DRF itself builds for each instance, and each instance's copy
is its own."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from petland.api import serializers as api
from tests.petland.speedups.conftest import speedups_on

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures(speedups_on.__name__)]

SERIALIZERS = [cls for cls in vars(api).values() if isinstance(cls, type) and issubclass(cls, api.ModelSerializer)]
SERIALIZERS.remove(api.ModelSerializer)


@pytest.mark.parametrize("cls", SERIALIZERS, ids=lambda cls: cls.__name__)
def test_the_fields_built_once_are_the_fields_drf_builds(cls):
    cached = cls().get_fields()
    cached_again = cls().get_fields()
    drfs = serializers.ModelSerializer.get_fields(cls())
    assert {name: repr(field) for name, field in cached.items()} == {name: repr(field) for name, field in drfs.items()}
    assert all(cached[name] is not cached_again[name] for name in cached)  # a copy of its own per instance


def test_an_instance_that_changes_its_fields_changes_no_other():
    first, second = api.PetSerializer(), api.PetSerializer()
    first.fields["name"].required = False
    assert second.fields["name"].required is True
