"""The rules of PetLand's records, as ``full_clean()`` and the services enforce them (and, where
it has a constraint, the database)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from petland import services
from petland.models import Employee, Invoice, Payment, Pet, Reservation, Service
from tests.factories import (
    EmployeeFactory,
    InvoiceFactory,
    PaymentFactory,
    PetFactory,
    ReservationFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db


def errors_of(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


@pytest.fixture
def luna(alice) -> Pet:
    return PetFactory(owner=alice, name="Luna")


@pytest.fixture
def boarding() -> Service:
    return ServiceFactory(name="Boarding")


def a_reservation(pet: Pet, service: Service, *, nights: float = 2, **fields) -> Reservation:
    checkin = timezone.now() + timedelta(days=1)
    return Reservation(
        pet=pet,
        user=fields.pop("user", pet.owner),
        service=service,
        checkin_date=checkin,
        checkout_date=checkin + timedelta(days=nights),
        **fields,
    )


def _fields(reservation: Reservation) -> dict:
    return {
        "pet": reservation.pet,
        "user": reservation.user,
        "service": reservation.service,
        "checkin_date": reservation.checkin_date,
        "checkout_date": reservation.checkout_date,
        "status": reservation.status,
    }


# --- reservations -------------------------------------------------------------------------------
def test_a_valid_reservation_passes_validation(luna, boarding):
    a_reservation(luna, boarding).full_clean()


@pytest.mark.parametrize("nights", [-1, 0], ids=["checkout-before-checkin", "checkout-at-checkin"])
def test_a_reservations_checkout_must_be_after_its_checkin(luna, boarding, nights):
    assert errors_of(a_reservation(luna, boarding, nights=nights)) == {
        "checkout_date": ["Checkout must be after checkin."],
    }


def test_a_reservations_pet_must_belong_to_its_user(luna, boarding, bob):
    assert errors_of(a_reservation(luna, boarding, user=bob)) == {
        "pet": ["The pet must belong to the reservation's user."],
    }


def test_a_reservations_status_must_be_a_known_one(luna, boarding):
    assert list(errors_of(a_reservation(luna, boarding, status="lost"))) == ["status"]


def test_a_new_reservation_is_pending(luna, boarding):
    reservation = services.record_create(Reservation, actor=None, **_fields(a_reservation(luna, boarding)))

    assert reservation.status == Reservation.Status.PENDING


def test_the_service_refuses_an_invalid_reservation_and_saves_nothing(luna, boarding):
    with pytest.raises(ValidationError):
        services.record_create(Reservation, actor=None, **_fields(a_reservation(luna, boarding, nights=-1)))

    assert not Reservation.objects.exists()


def test_an_invalid_update_leaves_the_stored_reservation_as_it_was(luna, boarding):
    reservation = ReservationFactory(pet=luna, service=boarding)
    checkout = reservation.checkout_date

    with pytest.raises(ValidationError):
        services.record_update(
            reservation, actor=None, status="confirmed", checkout_date=reservation.checkin_date - timedelta(hours=1)
        )

    reservation.refresh_from_db()
    assert (reservation.status, reservation.checkout_date) == ("pending", checkout)


def test_reservation_set_status_changes_the_status(luna, boarding, staff):
    reservation = ReservationFactory(pet=luna, service=boarding)

    services.reservation_set_status(reservation=reservation, status="checked_in", actor=staff)

    reservation.refresh_from_db()
    assert reservation.status == "checked_in"


def test_a_service_that_is_booked_cannot_be_deleted(luna, boarding):
    ReservationFactory(pet=luna, service=boarding)

    with pytest.raises(ProtectedError):
        services.record_delete(boarding, actor=None)

    assert Service.objects.filter(pk=boarding.pk).exists()


# --- payments -----------------------------------------------------------------------------------
@pytest.mark.parametrize("amount", ["0.00", "-10.00"])
def test_a_payment_amount_must_be_more_than_zero(amount):
    payment = PaymentFactory.build(reservation=ReservationFactory(), amount=Decimal(amount))
    payment.user = payment.reservation.user

    assert list(errors_of(payment)) == ["amount"]


def test_a_payment_of_one_cent_is_accepted():
    reservation = ReservationFactory()

    payment = services.record_create(Payment, actor=None, reservation=reservation, user=reservation.user, amount=Decimal("0.01"))

    assert payment.pk is not None


def test_the_database_refuses_a_payment_of_nothing_even_without_validation():
    reservation = ReservationFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(reservation=reservation, user=reservation.user, amount=Decimal("0"))


def test_a_payments_user_must_be_the_reservations_user(bob):
    payment = Payment(reservation=ReservationFactory(), user=bob, amount=Decimal("10.00"))

    assert errors_of(payment) == {"user": ["The payment's user must be the reservation's user."]}


def test_a_payment_method_must_be_a_known_one():
    reservation = ReservationFactory()
    payment = Payment(reservation=reservation, user=reservation.user, amount=Decimal("1.00"), method="bitcoin")

    assert list(errors_of(payment)) == ["method"]


# --- invoices -----------------------------------------------------------------------------------
def test_an_invoice_number_is_unique(alice):
    InvoiceFactory(user=alice, number="INV-2026-000001")

    assert list(errors_of(Invoice(user=alice, number="INV-2026-000001", total=Decimal("1.00")))) == ["number"]


def test_the_database_refuses_a_duplicate_invoice_number_even_without_validation(alice):
    InvoiceFactory(user=alice, number="INV-2026-000001")

    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(user=alice, number="INV-2026-000001", total=Decimal("1.00"))


def test_an_invoices_reservation_must_be_its_users(alice, bob):
    invoice = Invoice(user=alice, reservation=ReservationFactory(pet__owner=bob), number="INV-X-1", total=Decimal("1.00"))

    assert errors_of(invoice) == {"reservation": ["The reservation must belong to the invoice's user."]}


def test_an_invoice_total_cannot_be_negative(alice):
    assert list(errors_of(Invoice(user=alice, number="INV-X-1", total=Decimal("-1.00")))) == ["total"]


def test_invoices_are_numbered_in_sequence_within_the_year(alice):
    year = timezone.now().year

    first = services.invoice_create(actor=None, user=alice, total=Decimal("10.00"))
    second = services.invoice_create(actor=None, user=alice, total=Decimal("20.00"))

    assert (first.number, second.number) == (f"INV-{year}-000001", f"INV-{year}-000002")


def test_a_hand_written_number_does_not_derail_automatic_numbering(alice):
    year = timezone.now().year
    services.invoice_create(actor=None, user=alice, total=Decimal("10.00"))
    InvoiceFactory(user=alice, number=f"INV-{year}-CREDIT-NOTE")

    following = services.invoice_create(actor=None, user=alice, total=Decimal("20.00"))

    assert following.number == f"INV-{year}-000002"


@pytest.mark.django_db(transaction=True)
def test_two_invoices_created_at_the_same_moment_both_get_a_number_of_their_own(alice):
    year = timezone.now().year
    first_holds_its_number = threading.Event()
    numbers: list[str] = []
    errors: list[BaseException] = []

    def in_thread(work) -> threading.Thread:
        def run() -> None:
            try:
                work()
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def first() -> None:
        with transaction.atomic():  # its number stays uncommitted while the second one picks
            numbers.append(services.invoice_create(actor=None, user=alice, total=Decimal("1.00")).number)
            first_holds_its_number.set()
            time.sleep(0.5)

    def second() -> None:
        first_holds_its_number.wait(timeout=10)
        numbers.append(services.invoice_create(actor=None, user=alice, total=Decimal("2.00")).number)

    for thread in [in_thread(first), in_thread(second)]:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(numbers) == [f"INV-{year}-000001", f"INV-{year}-000002"]
    assert Invoice.objects.count() == 2


def test_a_number_stored_past_the_counters_reach_does_not_break_numbering(alice):
    """INV-<year>- plus 23 nines (32 characters, typed by a customer when clients could choose)
    once made every later number 33 characters long and every creation fail."""
    year = timezone.now().year
    InvoiceFactory(user=alice, number=f"INV-{year}-{'9' * 23}")

    first = services.invoice_create(actor=None, user=alice, total=Decimal("10.00"))
    second = services.invoice_create(actor=None, user=alice, total=Decimal("20.00"))

    assert (first.number, second.number) == (f"INV-{year}-000001", f"INV-{year}-000002")


def test_a_years_counter_starts_after_the_numbers_given_before_it_existed(alice):
    year = timezone.now().year
    InvoiceFactory(user=alice, number=f"INV-{year}-000041")
    InvoiceFactory(user=alice, number=f"INV-{year}-CREDIT-NOTE")

    assert services.invoice_create(actor=None, user=alice, total=Decimal("10.00")).number == f"INV-{year}-000042"


def test_a_number_already_held_is_passed_over(alice):
    year = timezone.now().year
    services.invoice_create(actor=None, user=alice, total=Decimal("10.00"))
    InvoiceFactory(user=alice, number=f"INV-{year}-000002")  # written past the services, as by a migration

    assert services.invoice_create(actor=None, user=alice, total=Decimal("20.00")).number == f"INV-{year}-000003"


@pytest.mark.parametrize("change", [services.invoice_create, None])
def test_nobody_chooses_an_invoice_number_not_even_the_shell(alice, change):
    year = timezone.now().year
    invoice = services.invoice_create(actor=None, user=alice, total=Decimal("10.00"))

    with pytest.raises(ValidationError) as caught:
        if change is None:
            services.invoice_update(invoice, actor=None, number=f"INV-{year}-000777")
        else:
            change(actor=None, user=alice, total=Decimal("1.00"), number=f"INV-{year}-000777")

    assert caught.value.message_dict == {"number": ["Invoice numbers are given by the server."]}
    invoice.refresh_from_db()
    assert list(Invoice.objects.values_list("number", flat=True)) == [invoice.number] == [f"INV-{year}-000001"]


@pytest.mark.django_db(transaction=True)
def test_sixteen_invoices_created_at_once_get_sixteen_numbers(alice):
    """Real threads, each with its own database connection, released together."""
    year, creators = timezone.now().year, 16
    start = threading.Barrier(creators, timeout=60)

    def create(n: int) -> str:
        try:
            start.wait()
            return services.invoice_create(actor=None, user=alice, total=Decimal(n + 1)).number
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=creators) as pool:
        numbers = list(pool.map(create, range(creators), timeout=120))  # re-raises a thread's error

    assert sorted(numbers) == [f"INV-{year}-{n:06d}" for n in range(1, creators + 1)]
    assert Invoice.objects.count() == creators


def test_issuing_an_invoice_stamps_when_it_was_issued(alice):
    invoice = services.invoice_create(actor=None, user=alice, total=Decimal("10.00"))
    assert invoice.issued_at is None

    services.invoice_issue(invoice=invoice, actor=None)

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.issued_at is not None


# --- services, pets, employees ------------------------------------------------------------------
def test_a_service_price_cannot_be_negative_and_its_duration_must_be_a_minute_or_more():
    service = Service(name="Bath", price=Decimal("-1.00"), duration=0)

    assert set(errors_of(service)) == {"price", "duration"}


def test_a_service_name_is_unique():
    ServiceFactory(name="Bath")

    assert list(errors_of(Service(name="Bath", price=Decimal("10.00"), duration=30))) == ["name"]


def test_a_pets_age_cannot_be_negative(alice):
    assert list(errors_of(Pet(owner=alice, name="Luna", species="Perro", age=-1))) == ["age"]


def test_a_pet_needs_a_name_and_a_species(alice):
    assert set(errors_of(Pet(owner=alice, name="", species=""))) == {"name", "species"}


def test_a_user_is_at_most_one_employee():
    employee = EmployeeFactory()

    assert list(errors_of(Employee(user=employee.user, position="Groomer", hire_date=employee.hire_date))) == ["user"]


def test_deleting_a_customer_deletes_their_pets_and_reservations(alice, luna, boarding):
    ReservationFactory(pet=luna, service=boarding)

    services.record_delete(alice, actor=None)

    assert not Pet.objects.exists()
    assert not Reservation.objects.exists()


# --- who may write what: the services' rules, whoever calls them (API, admin, shell) --------------
def test_a_customer_cannot_complete_their_payment_even_from_a_shell(alice):
    payment = PaymentFactory(reservation=ReservationFactory(pet__owner=alice))

    with pytest.raises(services.Forbidden) as caught:
        services.record_update(payment, actor=alice, status=Payment.Status.COMPLETED)

    assert caught.value.fields == {"status": "Customers cannot change a payment once made."}
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


def test_a_customer_cannot_zero_their_invoice_nor_delete_their_payment(alice):
    invoice = InvoiceFactory(user=alice)
    payment = PaymentFactory(reservation=ReservationFactory(pet__owner=alice))

    with pytest.raises(services.Forbidden) as zeroed:
        services.invoice_update(invoice, actor=alice, total=Decimal("0.00"), status=Invoice.Status.PAID)
    with pytest.raises(services.Forbidden):
        services.record_delete(payment, actor=alice)

    assert set(zeroed.value.fields) == {"total", "status"}
    invoice.refresh_from_db()
    assert (invoice.total, invoice.status) == (Decimal("80.00"), Invoice.Status.DRAFT)
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_a_customer_cannot_make_a_pet_for_someone_else_through_the_services(alice, bob):
    pet = PetFactory(owner=bob)

    with pytest.raises(services.Forbidden) as caught:
        services.record_create(Pet, actor=alice, owner=bob, name="Luna", species="Perro")

    assert caught.value.fields == {"owner": services.NOT_YOURS}
    assert list(Pet.objects.all()) == [pet]


def test_staff_and_the_server_itself_set_any_status(alice, staff):
    reservation = ReservationFactory(pet__owner=alice)

    services.reservation_set_status(reservation=reservation, status=Reservation.Status.CONFIRMED, actor=staff)
    services.reservation_set_status(reservation=reservation, status=Reservation.Status.COMPLETED, actor=None)

    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.COMPLETED


def test_a_customer_cannot_change_nor_delete_another_customers_record_from_a_shell(alice, bob):
    pet = PetFactory(owner=bob, name="Rocky")

    with pytest.raises(services.Forbidden) as renamed:
        services.record_update(pet, actor=alice, name="Mine now")
    with pytest.raises(services.Forbidden) as deleted:
        services.record_delete(pet, actor=alice)

    assert renamed.value.detail == deleted.value.detail == services.NOT_YOURS
    pet.refresh_from_db()
    assert pet.name == "Rocky"
