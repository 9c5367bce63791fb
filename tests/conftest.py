"""Named personas shared by every test: ``staff`` sees everything; ``alice`` and ``bob`` are
customers, and bob must never see alice's records."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from tests.factories import StaffFactory, UserFactory


@pytest.fixture(autouse=True)
def throttle_counters_of_its_own(settings):
    """Each test counts failed logins and writes from zero: the counters live in the cache (Redis,
    shared by the whole run), and the personas' ids and the test client's address repeat from
    one test to the next."""
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"{config.get('KEY_PREFIX', '')}:{uuid.uuid4().hex[:12]}"}
        for name, config in settings.CACHES.items()
    }


@pytest.fixture
def staff(db):
    return StaffFactory(username="sam_staff", first_name="Sam")  # a fixed name, as alice's and bob's


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", first_name="Alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", first_name="Bob")  # not a random name that may contain "ali"


def api_client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def anonymous_api():
    return APIClient()


@pytest.fixture
def staff_api(staff):
    return api_client_for(staff)


@pytest.fixture
def alice_api(alice):
    return api_client_for(alice)


@pytest.fixture
def bob_api(bob):
    return api_client_for(bob)
