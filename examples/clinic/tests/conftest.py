"""Personas: ``staff`` sees every visit; ``alice`` and ``bob`` are clients, and bob must never see
alice's visits. ``open_socket`` connects to the clinic's own ASGI application in-process (the
socket client of tests/support/sockets.py, shared with PetLand's suite)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from rest_framework.test import APIClient

from clinic.asgi import application
from tests.factories import StaffFactory, UserFactory
from tests.support.sockets import OpenSocket, socket_opener, token_for

__all__ = ["token_for"]


@pytest.fixture
def staff(db):
    return StaffFactory(username="sam_staff")


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


def api_client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def anonymous_api() -> APIClient:
    return api_client_for()


@pytest.fixture
def alice_api(alice) -> APIClient:
    return api_client_for(alice)


@pytest.fixture
def bob_api(bob) -> APIClient:
    return api_client_for(bob)


@pytest.fixture
async def open_socket() -> AsyncIterator[OpenSocket]:
    """``await open_socket("visits", alice, query="last_event_id=3")``: the socket and its first
    frame. Every socket is disconnected at the end of the test."""
    async with socket_opener(application) as open_socket:
        yield open_socket
