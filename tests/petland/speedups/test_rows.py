"""Guard for ``petland.speedups.rows``: rows read by primary key with statements built once
come back exactly as Django's ORM returns them (its converters, its range checks, its
``to_python``), so that an upgrade of Django that changes any of these fails here."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import models

from petland import models as m
from petland.speedups import rows
from tests.factories import InvoiceFactory, PaymentFactory

pytestmark = pytest.mark.django_db


def values(instance: models.Model) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


@pytest.mark.parametrize("make", [PaymentFactory, InvoiceFactory], ids=["payment", "invoice"])
def test_a_row_reads_back_as_the_orm_reads_it(make):
    # Dates, times, decimals, choices, foreign keys: each converted as the ORM converts it.
    record = make()
    found = rows.get(type(record), record.pk)
    assert found is not None and not found._state.adding
    assert values(found) == values(type(record).objects.get(pk=record.pk))


def test_a_user_reads_back_with_flags_and_times(alice):
    alice.refresh_from_db()
    found = rows.get(m.User, str(alice.pk))  # an id sent as text, as the ORM accepts it
    assert values(found) == values(alice)
    assert found.is_active is True and found.date_joined.tzinfo is not None


@pytest.mark.parametrize("pk", [0, 999_999, 2**70, -(2**70)])
def test_no_such_row_is_none(pk):
    assert rows.get(m.User, pk) is None


def test_an_id_of_the_wrong_type_is_a_validation_error():
    with pytest.raises(ValidationError):
        rows.get(m.User, "Luna")


def test_exists_answers_as_the_orm_does(alice):
    assert rows.exists(m.User, alice.pk) and rows.exists(m.User, str(alice.pk))
    for pk in (999_999, 2**70, None):
        assert not rows.exists(m.User, pk)
    with pytest.raises(ValidationError):
        rows.exists(m.User, "Luna")
