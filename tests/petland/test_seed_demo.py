"""``manage.py seed_demo``: demo logins and records for local development, safe to run twice,
and never with DEBUG off (its passwords are public)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from petland.models import ActivityLog, Employee, Invoice, MedicalRecord, Payment, Pet, Reservation, Service, User
from realtime.models import Event

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def test_it_creates_luna_a_three_year_old_golden_retriever(debug):
    seed()

    luna = Pet.objects.get(name="Luna")
    assert (luna.species, luna.breed, luna.age) == ("Perro", "Golden Retriever", 3)
    assert luna.owner.username == "alice"


def test_it_creates_an_admin_customers_staff_and_their_records(debug):
    seed()

    assert User.objects.get(username="admin").is_superuser
    assert User.objects.filter(is_staff=True, is_superuser=False).exists()
    assert User.objects.filter(is_staff=False).count() >= 2
    for model in (Employee, Service, Pet, Reservation, Payment, Invoice, MedicalRecord):
        assert model.objects.exists(), model
    assert Pet.objects.count() >= 3


def test_its_records_keep_the_models_rules(debug):
    seed()

    for model in (Employee, Service, Pet, Reservation, Payment, Invoice, MedicalRecord):
        for record in model.objects.all():
            record.full_clean()


def test_it_prints_the_demo_logins_and_they_work(debug):
    output = seed()

    assert "admin" in output and "petland-admin" in output
    assert "alice" in output and "petland-demo" in output
    assert authenticate(username="admin", password="petland-admin") is not None
    assert authenticate(username="alice", password="petland-demo") is not None


def test_running_it_twice_changes_nothing(debug):
    seed()
    after_first = row_counts()
    luna_before = Pet.objects.values().get(name="Luna")

    output = seed()

    assert row_counts() == after_first
    assert Pet.objects.values().get(name="Luna") == luna_before
    assert "0 records created" in output


def test_running_it_after_someone_renamed_the_demo_records_adds_nothing(debug):
    seed()
    Pet.objects.filter(name="Luna").update(name="Luna Belle")
    Pet.objects.filter(name="Rocky").update(name="Rocky II")
    Service.objects.filter(name="Boarding").update(name="Overnight stay")
    User.objects.filter(username="alice").update(first_name="Alicia")
    after_first = row_counts()

    output = seed()

    assert row_counts() == after_first
    assert not Pet.objects.filter(name__in=["Luna", "Rocky"]).exists()
    assert not Service.objects.filter(name="Boarding").exists()
    assert "0 records created" in output


def test_a_customer_whose_pets_were_all_deleted_gets_the_demo_pets_again(debug):
    seed()
    Pet.objects.filter(owner__username="bob").delete()

    seed()

    assert list(Pet.objects.filter(owner__username="bob").values_list("name", flat=True)) == ["Rocky"]
    assert Invoice.objects.filter(user__username="bob").count() == 1  # his demo invoice was kept, not made again


def test_the_second_run_writes_no_activity_and_no_event(debug):
    seed()
    logs, events = ActivityLog.objects.count(), Event.objects.count()

    seed()

    assert (ActivityLog.objects.count(), Event.objects.count()) == (logs, events)


def test_it_writes_activity_without_an_actor(debug):
    seed()

    luna = Pet.objects.get(name="Luna")
    log = ActivityLog.objects.get(entity_type="pet", entity_id=str(luna.pk))
    assert (log.actor, log.action) == (None, "created")


def test_it_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    before = row_counts()

    with pytest.raises(CommandError, match="DEBUG"):
        seed()

    assert row_counts() == before
    assert not User.objects.filter(username="admin").exists()
