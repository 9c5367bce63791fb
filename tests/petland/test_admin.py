"""The staff's workplace: every PetLand model has an admin whose pages open, and its search,
filters and autocompletes find what they should."""

from __future__ import annotations

from datetime import datetime, UTC

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client

from petland import services
from petland.chat import services as chat
from petland.models import ActivityLog, Invoice, InvoiceCounter, User
from tests.factories import (
    EmployeeFactory,
    InvoiceFactory,
    MedicalRecordFactory,
    PaymentFactory,
    PetFactory,
    ReservationFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_of_each(alice):
    """A record of every PetLand model, for the change pages."""
    vet = EmployeeFactory()
    pet = PetFactory(owner=alice, name="Luna")
    reservation = ReservationFactory(pet=pet)
    records = {
        "user": alice,
        "pet": pet,
        "service": reservation.service,
        "reservation": reservation,
        "payment": PaymentFactory(reservation=reservation),
        "invoice": InvoiceFactory(user=alice, reservation=reservation),
        "medicalrecord": MedicalRecordFactory(pet=pet, veterinarian=vet),
        "employee": vet,
    }
    records["activitylog"] = ActivityLog.objects.first()
    records["invoicecounter"] = InvoiceCounter.objects.create(year=2026, last=7)
    records["message"] = chat.message_post(reservation=reservation, author=alice, body="Is Luna eating?")
    records["chatreadmarker"] = chat.read_marker_move(reservation=reservation, reader=alice, up_to=records["message"].pk)
    return records


# model, and whether staff may add one in the admin
MODELS = [
    ("user", True),
    ("pet", True),
    ("service", True),
    ("reservation", True),
    ("payment", True),
    ("invoice", True),
    ("medicalrecord", True),
    ("employee", True),
    ("activitylog", False),  # the log records what happened; nobody writes it by hand
    ("invoicecounter", False),  # moves only when the server numbers an invoice
    ("message", False),  # written from the reservation's page, through the chat services
    ("chatreadmarker", False),  # moves when its user reads the conversation
]


def test_every_petland_model_has_an_admin():
    registered = {model._meta.model_name for model in admin.site._registry if model._meta.app_label == "petland"}

    assert registered == {model._meta.model_name for model in apps.get_app_config("petland").get_models()}
    assert registered == {name for name, _ in MODELS}


@pytest.mark.parametrize("model", [name for name, _ in MODELS])
def test_the_changelist_opens(admin_browser, one_of_each, model):
    response = admin_browser.get(f"/admin/petland/{model}/")

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


@pytest.mark.parametrize("model, can_add", MODELS)
def test_the_add_page_opens_where_records_may_be_added(admin_browser, model, can_add):
    response = admin_browser.get(f"/admin/petland/{model}/add/")

    assert response.status_code == (200 if can_add else 403)


@pytest.mark.parametrize("model", [name for name, _ in MODELS])
def test_the_change_page_opens(admin_browser, one_of_each, model):
    record = one_of_each[model]

    response = admin_browser.get(f"/admin/petland/{model}/{record.pk}/change/")

    assert response.status_code == 200
    assert response.context["original"] == record


def test_the_activity_log_is_read_only_in_the_admin(admin_browser, one_of_each):
    log = one_of_each["activitylog"]
    summary = log.summary

    page = admin_browser.get(f"/admin/petland/activitylog/{log.pk}/change/")
    posted = admin_browser.post(f"/admin/petland/activitylog/{log.pk}/change/", {"summary": "forged"})
    deleted = admin_browser.post(f"/admin/petland/activitylog/{log.pk}/delete/", {"post": "yes"})

    assert page.context["has_change_permission"] is False
    assert (posted.status_code, deleted.status_code) == (403, 403)
    log.refresh_from_db()
    assert log.summary == summary


def pets_listed(response) -> set[str]:
    return {pet.name for pet in response.context["cl"].result_list}


def test_search_finds_pets_by_name(admin_browser, alice, bob):
    PetFactory(owner=alice, name="Luna")
    PetFactory(owner=bob, name="Rocky")

    assert pets_listed(admin_browser.get("/admin/petland/pet/", {"q": "lun"})) == {"Luna"}


def test_search_finds_pets_by_their_owner(admin_browser, alice, bob):
    PetFactory(owner=alice, name="Luna")
    PetFactory(owner=alice, name="Milo")
    PetFactory(owner=bob, name="Rocky")

    assert pets_listed(admin_browser.get("/admin/petland/pet/", {"q": "bob"})) == {"Rocky"}


def test_pets_filter_by_species(admin_browser, alice):
    PetFactory(owner=alice, name="Luna", species="Perro")
    PetFactory(owner=alice, name="Milo", species="Gato")

    assert pets_listed(admin_browser.get("/admin/petland/pet/", {"species": "Gato"})) == {"Milo"}


def test_reservations_drill_down_by_checkin_date(admin_browser, alice):
    pet = PetFactory(owner=alice)
    december = ReservationFactory(pet=pet, checkin_date=datetime(2026, 12, 20, 9, tzinfo=UTC))
    ReservationFactory(pet=pet, checkin_date=datetime(2027, 1, 5, 9, tzinfo=UTC))

    years = admin_browser.get("/admin/petland/reservation/").content.decode()
    assert "?checkin_date__year=2026" in years and "?checkin_date__year=2027" in years

    response = admin_browser.get("/admin/petland/reservation/", {"checkin_date__year": 2026, "checkin_date__month": 12})

    assert list(response.context["cl"].result_list) == [december]


def test_the_owner_autocomplete_finds_customers(admin_browser, alice, bob):
    response = admin_browser.get(
        "/admin/autocomplete/",
        {
            "app_label": "petland",
            "model_name": "pet",
            "field_name": "owner",
            "term": "ali",
        },
    )

    assert response.status_code == 200
    assert [item["text"] for item in response.json()["results"]] == ["alice"]


def test_the_reservation_autocompletes_find_pets_and_services(admin_browser, alice):
    PetFactory(owner=alice, name="Luna")
    ServiceFactory(name="Grooming")

    def found(field: str, term: str) -> list[str]:
        return [
            item["text"]
            for item in admin_browser.get(
                "/admin/autocomplete/",
                {
                    "app_label": "petland",
                    "model_name": "reservation",
                    "field_name": field,
                    "term": term,
                },
            ).json()["results"]
        ]

    assert found("pet", "lun") == ["Luna (Perro)"]
    assert found("service", "groom") == ["Grooming"]


def test_customers_cannot_open_the_admin(alice):
    browser = Client()
    browser.force_login(alice)

    response = browser.get("/admin/petland/pet/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_can_add_a_customer_who_can_then_sign_in(admin_browser):
    password = "a-long-and-unusual-passphrase"

    response = admin_browser.post(
        "/admin/petland/user/add/",
        {
            "username": "carol",
            "password1": password,
            "password2": password,
            "usable_password": "true",
        },
    )

    assert response.status_code == 302, response.content
    assert Client().login(username="carol", password=password)


def test_an_invoice_added_in_the_admin_is_numbered_and_stamped_by_the_services(admin_browser, alice):
    response = admin_browser.post(
        "/admin/petland/invoice/add/",
        {
            "user": alice.pk,
            "total": "12.50",
            "status": "issued",
            "number": "INV-MINE-1",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    invoice = Invoice.objects.get()
    assert invoice.number == f"INV-{datetime.now(UTC).year}-000001"
    assert invoice.issued_at is not None
    assert ActivityLog.objects.filter(entity_type="invoice", entity_id=str(invoice.pk), actor__is_staff=True).exists()


def test_issuing_an_invoice_in_the_admin_stamps_it(admin_browser, alice):
    invoice = InvoiceFactory(user=alice)

    response = admin_browser.post(
        f"/admin/petland/invoice/{invoice.pk}/change/",
        {
            "user": alice.pk,
            "total": "80.00",
            "status": "issued",
        },
    )

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.issued_at is not None) == ("issued", True)


def test_deleting_in_the_admin_goes_through_the_services(admin_browser, alice):
    pet = PetFactory(owner=alice, name="Luna")

    response = admin_browser.post(f"/admin/petland/pet/{pet.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    log = ActivityLog.objects.get(entity_type="pet", entity_id=str(pet.pk), action="deleted")
    assert log.actor.username == "ada_admin"


@pytest.fixture
def service_writes(monkeypatch) -> list[tuple[str, str, object]]:
    """(service, model, actor) of each generic write service called, the services still doing the work."""
    calls = []
    for name in ("record_create", "record_update", "record_delete"):

        def spy(*args, _name=name, _real=getattr(services, name), **kwargs):  # noqa: B008 - bound per name
            target = args[0]
            model = target if isinstance(target, type) else type(target)
            calls.append((_name, model._meta.model_name, kwargs["actor"]))
            return _real(*args, **kwargs)

        monkeypatch.setattr(services, name, spy)
    return calls


def test_accounts_added_changed_and_deleted_in_the_admin_go_through_the_services(admin_browser, admin_staff, service_writes):
    password, new_password = "a-long-and-unusual-passphrase", "another-long-unusual-passphrase"

    added = admin_browser.post(
        "/admin/petland/user/add/",
        {
            "username": "carol",
            "password1": password,
            "password2": password,
            "usable_password": "true",
        },
    )
    carol = User.objects.get(username="carol")
    changed = admin_browser.post(
        f"/admin/petland/user/{carol.pk}/change/",
        {
            "username": "carol",
            "first_name": "Carol",
            "last_name": "",
            "email": "carol@example.com",
            "is_active": "on",
            "date_joined_0": "2026-12-01",
            "date_joined_1": "09:00:00",
        },
    )
    new_password_set = admin_browser.post(
        f"/admin/petland/user/{carol.pk}/password/",
        {
            "password1": new_password,
            "password2": new_password,
            "usable_password": "true",
        },
    )
    signs_in = Client().login(username="carol", password=new_password)
    deleted = admin_browser.post(f"/admin/petland/user/{carol.pk}/delete/", {"post": "yes"})

    assert [r.status_code for r in (added, changed, new_password_set, deleted)] == [302] * 4, changed.content
    assert signs_in
    assert service_writes == [
        ("record_create", "user", admin_staff),
        ("record_update", "user", admin_staff),
        ("record_update", "user", admin_staff),
        ("record_delete", "user", admin_staff),
    ]
    assert not User.objects.filter(username="carol").exists()
    assert [
        (log.actor, log.action) for log in ActivityLog.objects.filter(entity_type="user", entity_id=str(carol.pk)).order_by("id")
    ] == [(admin_staff, "created"), (admin_staff, "updated"), (admin_staff, "updated"), (admin_staff, "deleted")]
