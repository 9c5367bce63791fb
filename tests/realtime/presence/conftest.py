"""Presence tests: each test keeps its presence entries in Redis under a prefix of its own, and
records for the personas (alice owns a reservation, bob another, Sam is staff)."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from channels.db import database_sync_to_async

from tests.factories import PetFactory, ReservationFactory


@pytest.fixture(autouse=True)
def presence_of_its_own(settings) -> str:
    prefix = f"{settings.REALTIME['PRESENCE_KEY_PREFIX']}{uuid.uuid4().hex[:12]}:"
    settings.REALTIME = {**settings.REALTIME, "PRESENCE_KEY_PREFIX": prefix}
    return prefix


@pytest.fixture
def make_reservation():
    async def make(owner):
        return await database_sync_to_async(lambda: ReservationFactory(pet=PetFactory(owner=owner)))()

    return make


def member(user, state: str) -> dict:
    """A member as frames show it, ``since`` left out (checked apart: an ISO 8601 instant)."""
    return {"user_id": str(user.pk), "name": user.first_name, "is_staff": user.is_staff, "state": state}


def without_since(frame: dict) -> dict:
    """The frame with each member's ``since`` checked to be ISO 8601 and taken out."""
    out = dict(frame)
    for key in ("members", "joins"):
        if key in out:
            listed = []
            for entry in out[key]:
                assert datetime.fromisoformat(entry["since"]).tzinfo is not None
                listed.append({k: v for k, v in entry.items() if k != "since"})
            out[key] = listed
    return out


class Patient:
    """A test socket that waits generously for what it expects (the machine is shared and
    loaded) and briefly for what must not come."""

    def __init__(self, socket) -> None:
        self.socket = socket

    async def receive(self, timeout: float = 15) -> dict:
        return await self.socket.receive(timeout)

    async def receive_type(self, kind: str, timeout: float = 15) -> dict:
        return await self.socket.receive_type(kind, timeout)

    async def send(self, message: dict | str) -> None:
        await self.socket.send(message)

    async def nothing_more(self, timeout: float = 0.5) -> bool:
        return await self.socket.nothing_more(timeout)

    async def close(self) -> None:
        await self.socket.close()


@pytest.fixture
def open_socket(open_socket):
    """``open_socket`` of tests/realtime, its sockets patient."""

    async def _open(*args, **kwargs):
        socket, first = await open_socket(*args, **kwargs)
        return Patient(socket), first

    return _open
