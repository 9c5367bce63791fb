"""The REST API's representations of PetLand's records."""

from __future__ import annotations

import copy
from typing import Any

from rest_framework import serializers

from petland import models, selectors


class VisibleRecordField(serializers.PrimaryKeyRelatedField):
    """A related record the requesting user may see; anything else is "does not exist"."""

    def __init__(self, model: type, **kwargs: Any) -> None:
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        return selectors.visible_records(self.model, self.context["request"].user)


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, with its fields built from the model once per class.

    DRF builds them again for every serializer instance (model introspection, field kwargs,
    field instances: ≈ 0.3 ms for a pet, most of a POST's validation), although they depend on
    the class alone. Here each instance gets a deep copy of the class's fields, which is how DRF
    already gives each instance its declared fields."""

    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        if "_built_fields" not in cls.__dict__:
            cls._built_fields = super().get_fields()
        return copy.deepcopy(cls._built_fields)


class UserSerializer(ModelSerializer):
    class Meta:
        model = models.User
        fields = ["id", "username", "email", "first_name", "last_name", "is_staff"]
        read_only_fields = fields


class PetSerializer(ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=models.User.objects.all(), required=False,
        help_text="Staff name the owner; a customer's pets are their own.",
    )

    class Meta:
        model = models.Pet
        fields = ["id", "owner", "name", "species", "breed", "age"]


class ServiceSerializer(ModelSerializer):
    class Meta:
        model = models.Service
        fields = ["id", "name", "description", "price", "duration", "active"]


class ReservationSerializer(ModelSerializer):
    pet = VisibleRecordField(models.Pet)
    service = serializers.PrimaryKeyRelatedField(queryset=models.Service.objects.all())

    class Meta:
        model = models.Reservation
        fields = ["id", "user", "pet", "service", "checkin_date", "checkout_date", "status"]
        read_only_fields = ["user"]


class PaymentSerializer(ModelSerializer):
    reservation = VisibleRecordField(models.Reservation)

    class Meta:
        model = models.Payment
        fields = ["id", "reservation", "user", "amount", "method", "status", "created_at"]
        read_only_fields = ["user", "created_at"]


class InvoiceSerializer(ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=models.User.objects.all(), required=False,
        help_text="Staff name the customer; a customer's invoices are their own.",
    )
    reservation = VisibleRecordField(models.Reservation, required=False, allow_null=True)
    number = serializers.CharField(required=False, max_length=32, help_text="Given automatically when left out.")

    class Meta:
        model = models.Invoice
        fields = ["id", "user", "reservation", "number", "total", "status", "issued_at"]


class MedicalRecordSerializer(ModelSerializer):
    class Meta:
        model = models.MedicalRecord
        fields = ["id", "pet", "date", "description", "diagnosis", "treatment", "veterinarian"]


class EmployeeSerializer(ModelSerializer):
    class Meta:
        model = models.Employee
        fields = ["id", "user", "position", "hire_date", "active"]


class ActivityLogSerializer(ModelSerializer):
    class Meta:
        model = models.ActivityLog
        fields = ["id", "actor", "action", "entity_type", "entity_id", "summary", "created_at"]
        read_only_fields = fields
