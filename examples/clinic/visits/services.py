"""Every write to a visit. ``realtime`` publishes each one after commit by itself (its signals)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from visits.models import Visit


@transaction.atomic
def visit_book(*, owner: User, pet_name: str) -> Visit:
    visit = Visit(owner=owner, pet_name=pet_name)
    visit.full_clean()
    visit.save()
    return visit


@transaction.atomic
def visit_set_status(*, visit: Visit, status: str) -> Visit:
    visit.status = status
    visit.full_clean()
    visit.save(update_fields=["status"])
    return visit
