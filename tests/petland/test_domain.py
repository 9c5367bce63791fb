"""The domain declared once: every PetLand model has one row in ``petland.domain.DOMAIN`` (whose
a record is, who may read and write it, whether the activity log follows it), and everything
that decides who sees or changes what is derived from that row: the API's querysets and
permission levels, the publications' channel access and audiences, the activity-logged models.
Each of them is checked here against the table, so a row changed changes them all."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.db import models as db_models
from rest_framework.test import APIClient

from petland import domain, selectors
from petland.api import views
from petland.api.permissions import RecordAccess
from petland.api.urls import router
from petland.domain import DOMAIN, Level, Record
from petland.models import (
    ActivityLog,
    ChatReadMarker,
    Invoice,
    InvoiceCounter,
    MedicalRecord,
    Message,
    Payment,
    Pet,
    Reservation,
    Service,
    User,
)
from petland.publications import ACCESS, PUBLICATIONS
from realtime.models import Notification
from tests.conftest import api_client_for
from tests.factories import (
    EmployeeFactory,
    InvoiceFactory,
    MedicalRecordFactory,
    PaymentFactory,
    PetFactory,
    ReservationFactory,
    ServiceFactory,
)
from tests.petland.chat.factories import MessageFactory

pytestmark = pytest.mark.django_db


@dataclass
class World:
    """Alice's and bob's records of every model that has an owner, and the others'."""

    alice: User
    bob: User
    staff: User
    of_alice: dict[type[db_models.Model], db_models.Model]
    of_bob: dict[type[db_models.Model], db_models.Model]


def _records_of(user: User) -> dict[type[db_models.Model], db_models.Model]:
    pet = PetFactory(owner=user)
    reservation = ReservationFactory(pet=pet)
    return {
        User: user,
        Pet: pet,
        Reservation: reservation,
        Payment: PaymentFactory(reservation=reservation),
        Invoice: InvoiceFactory(user=user, reservation=reservation),
        MedicalRecord: MedicalRecordFactory(pet=pet),
        Message: MessageFactory(reservation=reservation, author=user),
        ChatReadMarker: ChatReadMarker.objects.create(reservation=reservation, user=user),
    }


@pytest.fixture
def world(alice, bob, staff) -> World:
    EmployeeFactory(), ServiceFactory()
    InvoiceCounter.objects.create(year=2026, last=3)
    return World(alice, bob, staff, _records_of(alice), _records_of(bob))


# --- the table ----------------------------------------------------------------------------------
def test_every_petland_model_is_declared_once():
    declared = [row.model for row in DOMAIN]

    assert len(declared) == len(set(declared))
    assert set(declared) == set(apps.get_app_config("petland").get_models())


def test_an_undeclared_model_is_an_error_not_a_default():
    with pytest.raises(LookupError, match="Notification is not declared"):
        domain.record(Notification)


@pytest.mark.parametrize(
    "row",
    [
        dict(model=Pet, owner=None, read=Level.CUSTOMER, write=Level.STAFF),  # customers' own, but whose?
        dict(model=Service, owner="owner", read=Level.PUBLIC, write=Level.STAFF),  # an owner nobody reads by
        dict(model=Service, owner=None, read=Level.PUBLIC, write=Level.PUBLIC),  # anonymous writes
        dict(
            model=MedicalRecord,
            owner="pet__owner",
            read=Level.CUSTOMER,
            write=Level.STAFF,
            customer_rules=domain.record(Pet).customer_rules,
        ),  # rules customers never reach
        dict(
            model=MedicalRecord, owner="pet__owner", read=Level.CUSTOMER, write=Level.CUSTOMER, names_owner=True
        ),  # the owner is not a field of its own
    ],
    ids=["owner-missing", "owner-unread", "public-write", "rules-behind-staff", "owner-not-a-field"],
)
def test_a_row_that_contradicts_itself_is_refused(row):
    with pytest.raises(ValueError):
        Record(**row)


# --- the API's querysets ------------------------------------------------------------------------
PERSONAS = ["anonymous", "alice", "bob", "staff"]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", DOMAIN, ids=lambda row: row.model.__name__)
def test_each_persona_sees_the_records_the_table_says(world, row, persona):
    user = AnonymousUser() if persona == "anonymous" else getattr(world, persona)
    everything = set(row.model._default_manager.values_list("pk", flat=True))
    assert everything, "the world has records of every model"

    seen = set(selectors.visible_records(row.model, user).values_list("pk", flat=True))

    if row.read is Level.PUBLIC or persona == "staff":
        assert seen == everything
    elif persona == "anonymous" or row.owner is None:
        assert seen == set()
    else:  # a customer's own, by the owner path: the ids an event's audience names
        assert seen == {pk for pk in everything if user.pk in row.owner_ids(row.model._default_manager.get(pk=pk))}
        own, others = (world.of_alice, world.of_bob) if persona == "alice" else (world.of_bob, world.of_alice)
        assert own[row.model].pk in seen and others[row.model].pk not in seen


# --- the API's permission levels ----------------------------------------------------------------
ENDPOINTS = [(prefix, viewset) for prefix, viewset, _ in router.registry if viewset.__module__ == views.__name__]


def test_every_petland_endpoint_takes_its_levels_from_the_table():
    # The conversations have endpoints of their own, under the reservation (petland.api.chat).
    conversations = {Message, ChatReadMarker}
    assert {viewset.model for _, viewset in ENDPOINTS} == {row.model for row in DOMAIN} - {User, InvoiceCounter, *conversations}
    for _, viewset in ENDPOINTS:
        assert RecordAccess in viewset.permission_classes
        assert not hasattr(viewset, "read_access") and not hasattr(viewset, "write_access")  # nothing to drift


@pytest.mark.parametrize("prefix, viewset", ENDPOINTS, ids=[prefix for prefix, _ in ENDPOINTS])
def test_each_endpoint_lets_in_whom_the_table_says(alice, prefix, viewset):
    row, url = domain.record(viewset.model), f"/api/{prefix}/"
    anonymous, customer = APIClient(), api_client_for(alice)

    assert anonymous.get(url).status_code == (200 if row.read is Level.PUBLIC else 401)
    assert customer.get(url).status_code == (403 if row.read is Level.STAFF else 200)
    assert anonymous.post(url, {}, format="json").status_code == 401
    # Past the door, an empty body is refused by validation.
    assert customer.post(url, {}, format="json").status_code == (403 if row.write is Level.STAFF else 400)


# --- the publications ---------------------------------------------------------------------------
@pytest.mark.parametrize("publication", PUBLICATIONS, ids=lambda p: p.channel)
def test_each_channel_is_opened_and_heard_as_the_table_says(world, publication):
    row = domain.record(publication.model)

    assert publication.access is ACCESS[row.read]
    assert publication.ignored_update_fields == row.bookkeeping
    if row.owner is None:
        record = publication.model._default_manager.first()
        assert list(publication.audience(record)) == []
    else:  # alice's record is heard by alice (and staff) only; bob's by bob
        assert list(publication.audience(world.of_alice[row.model])) == [world.alice.pk]
        assert list(publication.audience(world.of_bob[row.model])) == [world.bob.pk]


# --- the activity log ---------------------------------------------------------------------------
def _log_rows(record: db_models.Model) -> int:
    entity_type = record._meta.verbose_name.replace(" ", "_")
    return ActivityLog.objects.filter(entity_type=entity_type, entity_id=str(record.pk)).count()


@pytest.mark.parametrize("row", DOMAIN, ids=lambda row: row.model.__name__)
def test_the_activity_log_follows_the_models_the_table_marks(world, row):
    record = world.of_alice.get(row.model) or row.model._default_manager.first()
    before = _log_rows(record)

    record.save()
    if row.bookkeeping:
        record.save(update_fields=sorted(row.bookkeeping))  # bookkeeping alone is no activity

    assert _log_rows(record) == before + row.activity_logged


def test_every_change_is_activity_but_the_logs_own_rows_the_invoice_counters_and_conversations():
    unlogged = {ActivityLog, InvoiceCounter, Message, ChatReadMarker}
    assert {row.model for row in domain.activity_logged()} == {row.model for row in DOMAIN} - unlogged
