"""The REST API's representations of PetLand's records."""

from __future__ import annotations

import copy
from typing import Any, ClassVar, cast

from django.db.models import QuerySet

from django.core.exceptions import ValidationError
from rest_framework import serializers

from petland import models, selectors, services
from realtime.speedups import orm as rows


class RecordField(serializers.PrimaryKeyRelatedField):
    """A related record named by its id (a pet's owner, a reservation's pet), among the records
    the requesting user may see (``selectors.visible_records``): another customer's id is "does
    not exist", word for word as an id that never existed, and the browsable API's forms offer
    only the visible ones. The field's ``queryset`` names the model (and may narrow it further).

    Where the user sees every row of the model (staff; everyone for services), the record is read
    with ``rows.get``: one prebuilt SELECT instead of a new ORM query (180 → 25 µs, on every write
    that names one). A filtered queryset is read through the ORM, as DRF does. Without a request
    (the server's own use of a serializer) the queryset is taken as given."""

    def get_queryset(self) -> QuerySet[Any]:
        queryset = cast("QuerySet[Any]", super().get_queryset())  # a RecordField's queryset names its model
        request = self.context.get("request")
        if request is None:
            return queryset
        visible = selectors.visible_records(queryset.model, request.user)
        return visible & queryset if queryset.query.has_filters() else visible

    def to_internal_value(self, data: Any) -> Any:
        queryset = self.get_queryset()
        if self.pk_field is not None or queryset.query.has_filters() or queryset.query.is_empty():
            return super().to_internal_value(data)
        try:
            if isinstance(data, bool):
                raise TypeError
            found = rows.get(queryset.model, data)
        except (TypeError, ValueError, ValidationError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if found is None:
            self.fail("does_not_exist", pk_value=data)
        return found


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, with its fields built from the model once per class, and related
    records read as ``RecordField``s.

    DRF builds them again for every serializer instance (model introspection, field kwargs,
    field instances: ≈ 0.3 ms for a pet, most of a POST's validation), although they depend on
    the class alone. Here each instance gets a deep copy of the class's fields, which is how DRF
    already gives each instance its declared fields."""

    serializer_related_field = RecordField
    _built_fields: ClassVar[dict[str, serializers.Field]]  # per class, set by its first get_fields()

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
    owner = RecordField(
        queryset=models.User.objects.all(),
        required=False,
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
    pet = RecordField(queryset=models.Pet.objects.all())
    service = RecordField(queryset=models.Service.objects.all())

    class Meta:
        model = models.Reservation
        fields = ["id", "user", "pet", "service", "checkin_date", "checkout_date", "status"]
        read_only_fields = ["user"]


class PaymentSerializer(ModelSerializer):
    reservation = RecordField(queryset=models.Reservation.objects.all())

    class Meta:
        model = models.Payment
        fields = ["id", "reservation", "user", "amount", "method", "status", "created_at"]
        read_only_fields = ["user", "created_at"]


class InvoiceSerializer(ModelSerializer):
    user = RecordField(
        queryset=models.User.objects.all(),
        required=False,
        help_text="Staff name the customer; a customer's invoices are their own.",
    )
    reservation = RecordField(queryset=models.Reservation.objects.all(), required=False, allow_null=True)
    number = serializers.CharField(read_only=True, help_text="Given by the server: INV-<year>-<sequence>.")

    class Meta:
        model = models.Invoice
        fields = ["id", "user", "reservation", "number", "total", "status", "issued_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A number sent is refused aloud rather than dropped, so that nobody believes it was kept
        # (the same invoice's own number, sent back unchanged in a PUT, is fine).
        given = self.initial_data.get("number", None) if hasattr(self.initial_data, "get") else None
        if given is not None and (self.instance is None or given != self.instance.number):
            raise serializers.ValidationError({"number": [services.INVOICE_NUMBER_IS_THE_SERVERS]})
        return attrs


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
