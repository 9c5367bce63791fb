"""The publications table: each publication's event data is exactly its serializer's."""

from __future__ import annotations

import orjson
import pytest

from petland.models import ActivityLog, User
from realtime.declaring.registry import registry
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


def activity_log() -> ActivityLog:
    pet = PetFactory()
    return ActivityLog.objects.get(entity_type="pet", entity_id=str(pet.pk))


MAKERS = {
    "users": lambda: User.objects.create_user("zoe", password="pw-pw-pw-pw", first_name="Zoe"),
    "pets": lambda: PetFactory(),
    "reservations": lambda: ReservationFactory(),
    "payments": lambda: PaymentFactory(),
    "invoices": lambda: InvoiceFactory(),
    "medical_history": lambda: MedicalRecordFactory(),
    "services": lambda: ServiceFactory(),
    "employees": lambda: EmployeeFactory(),
    "activity_logs": activity_log,
    "chat": lambda: MessageFactory(),
}


def test_every_publication_is_covered():
    assert set(MAKERS) == {publication.channel for publication in registry().publications}


@pytest.mark.parametrize("channel", sorted(MAKERS))
def test_the_event_data_is_the_serializers_byte_for_byte(channel):
    publication = registry().for_channel(channel)
    instances = [MAKERS[channel]()] if channel == "users" else [MAKERS[channel](), MAKERS[channel]()]

    for instance in instances:
        expected = publication.serializer(instance).data
        assert orjson.dumps(publication.represent(instance)) == orjson.dumps(dict(expected))
        assert list(publication.represent(instance)) == list(expected)
