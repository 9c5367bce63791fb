"""``ForeignKey``: Django's, with a cheaper check that the target row exists."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import models

from petland.db.fields import ForeignKey
from petland.models import MedicalRecord, Pet

pytestmark = pytest.mark.django_db


def test_a_pet_whose_owner_does_not_exist_is_refused_in_djangos_words():
    pet = Pet(owner_id=999_999, name="Luna", species="Perro")
    with pytest.raises(ValidationError) as refused:
        pet.full_clean()
    assert refused.value.message_dict == {"owner": ["user instance with id 999999 is not a valid choice."]}
    assert refused.value.error_dict["owner"][0].code == "invalid"


def test_a_pet_whose_owner_exists_is_valid(alice):
    Pet(owner=alice, name="Luna", species="Perro").full_clean()
    Pet(owner_id=alice.pk, name="Luna", species="Perro").full_clean()


def test_an_optional_key_left_empty_is_valid(alice):
    record = MedicalRecord(
        pet=Pet.objects.create(owner=alice, name="Luna", species="Perro"), date="2026-11-29", description="Vacuna"
    )
    record.full_clean()
    assert record.veterinarian_id is None


def test_migrations_see_djangos_foreign_key():
    _name, path, _args, _kwargs = Pet._meta.get_field("owner").deconstruct()
    assert path == "django.db.models.ForeignKey"
    assert isinstance(Pet._meta.get_field("owner"), ForeignKey)
    assert issubclass(ForeignKey, models.ForeignKey)
