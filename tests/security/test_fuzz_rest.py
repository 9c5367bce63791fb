"""Property-based fuzzing of the REST API's writes: whatever JSON body a customer or a member
of staff posts, the answer is 201, a 400 with messages per field, or (a customer setting a
status only staff set) a 403 naming it, never a server error; a refusal changes nothing, and a
customer's new record is always their own."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from petland import models
from realtime.models import Event, Notification
from tests.security.conftest import ALICE, STAFF, World, jwt_client, token_for

FUZZ = settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),  # NaN and Infinity too
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)


def _offset(minutes: int) -> str:
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


timestamps = st.one_of(
    st.builds(lambda d, m: d.isoformat() + _offset(m), st.datetimes(), st.integers(-1439, 1439)),
    st.datetimes().map(datetime.isoformat),  # naive
    st.dates().map(str),
    st.sampled_from(
        ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-02-30T10:00:00Z", "2026-13-01", "now", "", "1e10"]
    ),
)
decimals = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.from_regex(r"-?[0-9]{1,14}(\.[0-9]{1,4})?", fullmatch=True),
    st.floats(),
    st.sampled_from(["0", "0.001", "-0.00", "99999999.99", "100000000.00", "1e3", "NaN", "sNaN", "Infinity"]),
)
texts = st.text(max_size=120) | st.sampled_from(["", " ", "\x00", "a" * 101, "<script>alert(1)</script>"])
small_ints = st.integers(-(2**70), 2**70) | st.sampled_from([0, -1, 32767, 32768, 65535, 2**31, 2**63])


def ids_of(*records: Any) -> st.SearchStrategy:
    """The ids of real records (the persona's, the other customer's) or any other value."""
    return st.sampled_from([r.pk for r in records]) | small_ints | st.from_regex(r"[0-9]{1,25}", fullmatch=True)


def fields(world: World) -> dict[str, dict[str, st.SearchStrategy]]:
    a, b = world.of_alice, world.of_bob
    return {
        "pets": {
            "name": texts,
            "species": texts,
            "breed": texts,
            "age": small_ints,
            "owner": ids_of(world.alice, world.bob, world.staff),
        },
        "reservations": {
            "pet": ids_of(a.pet, b.pet),
            "service": ids_of(world.service, world.spare_service),
            "checkin_date": timestamps,
            "checkout_date": timestamps,
            "status": st.sampled_from([s for s, _ in models.Reservation.Status.choices]) | texts,
            "user": ids_of(world.alice, world.bob),  # read-only: ignored
        },
        "payments": {
            "reservation": ids_of(a.reservation, b.reservation),
            "amount": decimals,
            "method": st.sampled_from([m for m, _ in models.Payment.Method.choices]) | texts,
            "status": st.sampled_from([s for s, _ in models.Payment.Status.choices]) | texts,
            "user": ids_of(world.alice, world.bob),
            "created_at": timestamps,  # read-only: ignored
        },
    }


def valid_body(world: World, endpoint: str, persona: str) -> dict[str, Any]:
    soon = timezone.now() + timedelta(days=5)
    return {
        "pets": {
            "name": "Nala",
            "species": "Gato",
            "breed": "",
            "age": 2,
            **({"owner": world.alice.pk} if persona == STAFF else {}),
        },
        "reservations": {
            "pet": world.of_alice.pet.pk,
            "service": world.service.pk,
            "status": "pending",
            "checkin_date": soon.isoformat(),
            "checkout_date": (soon + timedelta(days=1)).isoformat(),
        },
        "payments": {"reservation": world.of_alice.reservation.pk, "amount": "25.00", "method": "cash", "status": "pending"},
    }[endpoint]


@st.composite
def near_valid(draw: st.DrawFn, valid: dict[str, Any], mutations: dict[str, st.SearchStrategy]) -> dict[str, Any]:
    """A valid body with up to two fields dropped or given another plausible value."""
    body = dict(valid)
    for name in draw(st.sets(st.sampled_from(sorted(mutations)), max_size=2)):
        if name in body and draw(st.integers(0, 3)) == 0:
            del body[name]
        else:
            body[name] = draw(mutations[name])
    return body


def bodies(world: World, endpoint: str, persona: str) -> st.SearchStrategy[bytes]:
    """Request bodies: mostly JSON objects close to a valid one, some anything at all, some
    with NaN or Infinity (which Python's json writes and JSON forbids), some not JSON at all."""
    known = fields(world)[endpoint]
    close = near_valid(valid_body(world, endpoint, persona), known).map(json.dumps)
    wild = st.one_of(
        st.fixed_dictionaries({}, optional={name: value | json_values for name, value in known.items()}),
        st.dictionaries(st.sampled_from(list(known)) | st.text(max_size=15), json_values, max_size=8),
        json_values,  # not even an object
    ).map(json.dumps)
    raw = st.binary(max_size=60) | st.sampled_from(
        [b"", b"{", b'{"name": "\\ud800"}', b'{"age": 1e999}', b"\xff\xfe{}", b'{"name": "Nala"}\x00']
    )
    return st.one_of(close, close, close, wild, wild).map(str.encode) | raw


MODEL = {"pets": models.Pet, "reservations": models.Reservation, "payments": models.Payment}
OWNER_FIELD = {"pets": "owner_id", "reservations": "user_id", "payments": "user_id"}


def counts() -> dict[str, int]:
    tracked = [models.Pet, models.Reservation, models.Payment, models.ActivityLog, Event, Notification]
    return {m.__name__: m.objects.count() for m in tracked}


def assert_per_field_messages(body: Any) -> None:
    """``{"field": ["message", ...], ...}``, or ``{"detail": "..."}`` for a body that is not JSON."""
    assert isinstance(body, dict) and body, body
    if set(body) == {"detail"}:
        assert isinstance(body["detail"], str) and "JSON parse error" in body["detail"], body
        return
    for name, messages in body.items():
        assert isinstance(name, str)
        assert isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages), body


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["pets", "reservations", "payments"])
@pytest.mark.parametrize("persona", [ALICE, STAFF])
def test_random_bodies_get_201_or_400_and_a_400_changes_nothing(world, endpoint, persona):
    client: APIClient = jwt_client(token_for(getattr(world, persona)))
    model = MODEL[endpoint]

    @FUZZ
    @given(body=bodies(world, endpoint, persona))
    def post(body: bytes) -> None:
        before = counts()

        response = client.post(f"/api/{endpoint}/", body, content_type="application/json")

        assert response.status_code in (201, 400, 403), (response.status_code, response.content)
        after = counts()
        if response.status_code == 403:  # a customer setting what only staff set: the status
            assert persona == ALICE and set(response.json()) == {"status"}, response.content
        if response.status_code in (400, 403):
            assert_per_field_messages(response.json())
            assert after == before, "a refused request changed the database"
            return
        assert after[model.__name__] == before[model.__name__] + 1
        assert after["ActivityLog"] == before["ActivityLog"] + 1
        created = model.objects.get(pk=response.json()["id"])
        if persona == ALICE:
            assert getattr(created, OWNER_FIELD[endpoint]) == world.alice.pk, "alice created a record for someone else"

    post()
