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
