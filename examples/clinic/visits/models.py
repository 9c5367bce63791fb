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

    def __str__(self) -> str:
        return f"{self.pet_name} ({self.status})"
