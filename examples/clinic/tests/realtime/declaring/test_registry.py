"""The publications table: each publication's event data is exactly its serializer's."""

from __future__ import annotations

import orjson
import pytest

from realtime.declaring.registry import registry
from tests.factories import TreatmentFactory, VetFactory, VisitFactory

pytestmark = pytest.mark.django_db

MAKERS = {"visits": VisitFactory, "treatments": TreatmentFactory, "vets": VetFactory}


def test_every_publication_is_covered():
    assert set(MAKERS) == {publication.channel for publication in registry().publications}


@pytest.mark.parametrize("channel", sorted(MAKERS))
def test_the_event_data_is_the_serializers_byte_for_byte(channel):
    publication = registry().for_channel(channel)
    for instance in (MAKERS[channel](), MAKERS[channel]()):
        expected = publication.serializer(instance).data
        assert orjson.dumps(publication.represent(instance)) == orjson.dumps(dict(expected))
        assert list(publication.represent(instance)) == list(expected)
