"""``POST /api/visits/``: a client books a visit of their own; bad input changes nothing."""

from __future__ import annotations

import pytest

from visits.models import Visit

pytestmark = pytest.mark.django_db


def test_a_client_books_a_visit_of_their_own(alice_api, alice):
    response = alice_api.post("/api/visits/", {"pet_name": "Luna"}, format="json")
    assert response.status_code == 201
    visit = Visit.objects.get()
    assert response.json() == {"id": visit.pk, "pet_name": "Luna", "status": "booked"}
    assert visit.owner == alice


def test_an_anonymous_caller_books_nothing(anonymous_api):
    assert anonymous_api.post("/api/visits/", {"pet_name": "Luna"}, format="json").status_code == 401
    assert not Visit.objects.exists()


@pytest.mark.parametrize("body", [{}, {"pet_name": ""}, {"pet_name": "x" * 101}])
def test_a_visit_without_a_proper_pet_name_is_refused_and_nothing_is_booked(alice_api, body):
    response = alice_api.post("/api/visits/", body, format="json")
    assert response.status_code == 400 and "pet_name" in response.json()
    assert not Visit.objects.exists()
