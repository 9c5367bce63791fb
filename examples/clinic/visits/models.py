from django.conf import settings
from django.db import models


class Visit(models.Model):
    """A pet's visit to the clinic, booked by its owner."""

    class Status(models.TextChoices):
        BOOKED = "booked"
        DONE = "done"
        CANCELLED = "cancelled"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="visits")
    pet_name = models.CharField(max_length=100)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    # Cleared, not deleted, when the vet leaves: Django does it with QuerySet.update(), no signal.
    vet = models.ForeignKey("Vet", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits")

    def __str__(self) -> str:
        return f"{self.pet_name} ({self.status})"


class Treatment(models.Model):
    """What the clinic offers, and its price: public, anyone may watch the list."""

    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=8, decimal_places=2)

    def __str__(self) -> str:
        return self.name


class Vet(models.Model):
    """The clinic's vets and who is on duty: for staff only."""

    name = models.CharField(max_length=100)
    on_duty = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name
