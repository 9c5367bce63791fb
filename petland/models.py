"""PetLand's domain: customers and staff, their pets, the services offered, and the records
of each visit. Validation lives in ``clean()`` so that the admin, the API and the services
all refuse the same bad input; services call ``full_clean()`` before saving."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from petland.db.fields import ForeignKey


class User(AbstractUser):
    """A customer, or a member of staff when ``is_staff`` is set."""

    class Meta:
        ordering = ["id"]


class Pet(models.Model):
    owner = ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pets")
    name = models.CharField(max_length=100)
    species = models.CharField(max_length=50)
    breed = models.CharField(max_length=100, blank=True)
    age = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.species})"


class Service(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    duration = models.PositiveIntegerField(help_text="Minutes", validators=[MinValueValidator(1)])
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Reservation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        CONFIRMED = "confirmed"
        CHECKED_IN = "checked_in"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    user = ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reservations")
    pet = ForeignKey(Pet, on_delete=models.CASCADE, related_name="reservations")
    service = ForeignKey(Service, on_delete=models.PROTECT, related_name="reservations")
    checkin_date = models.DateTimeField()
    checkout_date = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)

    class Meta:
        ordering = ["-checkin_date", "id"]

    def __str__(self) -> str:
        try:
            pet = self.pet.name  # a name, not an id: "Reservation #3 for Luna"
        except ObjectDoesNotExist:  # a pet deleted first, or none yet
            pet = f"pet #{self.pet_id}"
        return f"Reservation #{self.pk} for {pet}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.checkin_date and self.checkout_date and self.checkout_date <= self.checkin_date:
            errors["checkout_date"] = "Checkout must be after checkin."
        if self.pet_id and self.user_id and self.pet.owner_id != self.user_id:
            errors["pet"] = "The pet must belong to the reservation's user."
        if errors:
            raise ValidationError(errors)


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        COMPLETED = "completed"
        FAILED = "failed"
        REFUNDED = "refunded"

    class Method(models.TextChoices):
        CARD = "card"
        CASH = "cash"
        TRANSFER = "transfer"

    reservation = ForeignKey(Reservation, on_delete=models.CASCADE, related_name="payments")
    user = ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payments")
    amount = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    method = models.CharField(max_length=20, choices=Method.choices, default=Method.CARD)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self) -> str:
        return f"Payment #{self.pk} ({self.amount})"

    def clean(self) -> None:
        if self.reservation_id and self.user_id and self.reservation.user_id != self.user_id:
            raise ValidationError({"user": "The payment's user must be the reservation's user."})


class Invoice(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        ISSUED = "issued"
        PAID = "paid"
        VOID = "void"

    user = ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invoices")
    reservation = ForeignKey(Reservation, on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices")
    number = models.CharField(
        max_length=32, unique=True, editable=False, help_text="Given by the server from the year's counter."
    )
    total = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        reservation = self.reservation if self.reservation_id else None
        if reservation is not None and self.user_id and reservation.user_id != self.user_id:
            raise ValidationError({"reservation": "The reservation must belong to the invoice's user."})


class InvoiceCounter(models.Model):
    """The last sequence number given to an invoice in a year. Invoice numbers come from here
    alone (``services.invoice_create``), so no number stored in an invoice can derail them."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Employee(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="employee")
    position = models.CharField(max_length=100)
    hire_date = models.DateField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.position})"


class MedicalRecord(models.Model):
    pet = ForeignKey(Pet, on_delete=models.CASCADE, related_name="medical_records")
    date = models.DateField()
    description = models.TextField()
    diagnosis = models.TextField(blank=True)
    treatment = models.TextField(blank=True)
    veterinarian = ForeignKey(Employee, on_delete=models.SET_NULL, null=True, blank=True, related_name="medical_records")

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.pet.name} on {self.date}"


class ActivityLog(models.Model):
    """One row per create, update or delete of any other PetLand record, written in the same
    transaction as the change (see ``petland.activity``)."""

    class Action(models.TextChoices):
        CREATED = "created"
        UPDATED = "updated"
        DELETED = "deleted"

    actor = ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    entity_type = models.CharField(max_length=50)
    entity_id = models.CharField(max_length=64)
    summary = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["entity_type", "entity_id"])]

    def __str__(self) -> str:
        return self.summary


class Message(models.Model):
    """One message of a reservation's conversation between its customer and the staff. A deleted
    message keeps its place (``deleted``, an empty body); ``petland.chat.services`` writes them."""

    MAX_BODY = 2000

    reservation = ForeignKey(Reservation, on_delete=models.CASCADE, related_name="messages")
    author = ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(max_length=MAX_BODY, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["reservation", "id"])]

    def __str__(self) -> str:
        return f"Message #{self.pk} on reservation #{self.reservation_id}"

    def clean(self) -> None:
        if not self.deleted and not self.body.strip():
            raise ValidationError({"body": "A message needs a body."})
        if len(self.body) > self.MAX_BODY:  # a TextField's max_length binds only forms
            raise ValidationError({"body": f"At most {self.MAX_BODY} characters."})


class ChatReadMarker(models.Model):
    """The newest message of a reservation's conversation that a user has read; it only moves
    forward."""

    user = ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reservation = ForeignKey(Reservation, on_delete=models.CASCADE, related_name="read_markers")
    up_to = models.PositiveBigIntegerField(default=0, help_text="The id of the newest message read")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["user", "reservation"], name="chat_read_marker_once")]

    def __str__(self) -> str:
        return f"{self.user_id} read #{self.reservation_id} up to {self.up_to}"
