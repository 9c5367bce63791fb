"""Prepares a fresh project database for a benchmark run; runs inside the project's settings.

``python -m bench.provision --staff S --customers K`` migrates, creates S staff users and K customers
(no password: they only ever use the tokens minted here) and prints their ids and JWT access
tokens as one JSON line. Users are bulk-created, so no signal fires and no event is logged.
``--reservations N`` also bulk-creates N reservations of the first customer (the presence
benchmark's records) and prints their ids.
"""

from __future__ import annotations

import argparse
import json
import os


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1)
    parser.add_argument("--staff", type=int, default=1)
    parser.add_argument("--reservations", type=int, default=0)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "petland.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import AccessToken

    call_command("migrate", interactive=False, verbosity=0)
    User = get_user_model()
    users = [User(username=f"bench-staff-{n}", is_staff=True) for n in range(max(args.staff, 1))]
    users += [User(username=f"bench-customer-{n}") for n in range(max(args.customers, 1))]
    for user in users:
        user.set_unusable_password()
    User.objects.bulk_create(users)
    created = list(User.objects.filter(username__startswith="bench-").order_by("id"))
    staff = [u for u in created if u.is_staff]
    customers = [u for u in created if not u.is_staff]

    def describe(user) -> dict:
        return {"id": user.pk, "token": str(AccessToken.for_user(user))}

    found = {"staff": [describe(u) for u in staff], "customers": [describe(u) for u in customers]}
    if args.reservations:
        found["reservations"] = reservations(customers[0], args.reservations)
    print(json.dumps(found))


def reservations(owner, count: int) -> list[int]:
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from petland.models import Pet, Reservation, Service

    service = Service.objects.create(name="bench-stay", price=Decimal("10.00"), duration=60)
    pet = Pet.objects.create(owner=owner, name="Bench", species="dog")
    start = timezone.now() + timedelta(days=1)
    rows = [
        Reservation(user=owner, pet=pet, service=service, checkin_date=start, checkout_date=start + timedelta(days=1))
        for _ in range(count)
    ]
    Reservation.objects.bulk_create(rows)
    return list(Reservation.objects.filter(user=owner).order_by("id").values_list("id", flat=True))


if __name__ == "__main__":
    main()
