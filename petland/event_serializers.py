"""What each record looks like inside a ``realtime_update`` event: ``<entity>_id`` first,
then its fields, JSON primitives only (decimals as strings, datetimes in ISO 8601 with their
offset). One serializer per model; nothing secret (no password hash) is ever included."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from petland import models


class IsoDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit offset (``+00:00``), as the protocol's timestamps."""

    def to_representation(self, value: Any) -> str | None:  # type: ignore[override]  # DRF's returns None for None too; its stub says str
        if value is None:
            return None
        return self.enforce_timezone(value).isoformat()


class EventSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.models.DateTimeField: IsoDateTimeField,
    }


class UserEventSerializer(EventSerializer):
    user_id = serializers.IntegerField(source="pk")

    class Meta:
        model = models.User
        fields = ["user_id", "username", "first_name", "last_name", "email", "is_staff", "is_active"]


class PetEventSerializer(EventSerializer):
    pet_id = serializers.IntegerField(source="pk")
    user_id = serializers.IntegerField(source="owner_id")

    class Meta:
        model = models.Pet
        fields = ["pet_id", "name", "species", "breed", "age", "user_id"]


class ServiceEventSerializer(EventSerializer):
    service_id = serializers.IntegerField(source="pk")

    class Meta:
        model = models.Service
        fields = ["service_id", "name", "description", "price", "duration", "active"]


class ReservationEventSerializer(EventSerializer):
    reservation_id = serializers.IntegerField(source="pk")
    user_id = serializers.IntegerField()
    pet_id = serializers.IntegerField()
    service_id = serializers.IntegerField()

    class Meta:
        model = models.Reservation
        fields = ["reservation_id", "user_id", "pet_id", "service_id", "checkin_date", "checkout_date", "status"]


class PaymentEventSerializer(EventSerializer):
    payment_id = serializers.IntegerField(source="pk")
    reservation_id = serializers.IntegerField()
    user_id = serializers.IntegerField()

    class Meta:
        model = models.Payment
        fields = ["payment_id", "reservation_id", "user_id", "amount", "method", "status", "created_at"]


class InvoiceEventSerializer(EventSerializer):
    invoice_id = serializers.IntegerField(source="pk")
    user_id = serializers.IntegerField()
    reservation_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = models.Invoice
        fields = ["invoice_id", "user_id", "reservation_id", "number", "total", "status", "issued_at"]


class MedicalRecordEventSerializer(EventSerializer):
    medical_record_id = serializers.IntegerField(source="pk")
    pet_id = serializers.IntegerField()
    user_id = serializers.IntegerField(source="pet.owner_id")
    veterinarian_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = models.MedicalRecord
        fields = ["medical_record_id", "pet_id", "user_id", "date", "description", "diagnosis", "treatment", "veterinarian_id"]


class EmployeeEventSerializer(EventSerializer):
    employee_id = serializers.IntegerField(source="pk")
    user_id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    class Meta:
        model = models.Employee
        fields = ["employee_id", "user_id", "name", "position", "hire_date", "active"]

    def get_name(self, employee: models.Employee) -> str:
        return employee.user.get_full_name() or employee.user.username


class ActivityLogEventSerializer(EventSerializer):
    activity_log_id = serializers.IntegerField(source="pk")
    actor_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = models.ActivityLog
        fields = ["activity_log_id", "actor_id", "action", "entity_type", "entity_id", "summary", "created_at"]


class MessageEventSerializer(EventSerializer):
    """A chat message's event: keyed by its conversation (``reservation_id``, the record id that
    ``subscribe`` narrows on); ``user_id`` is the reservation's customer."""

    message_id = serializers.IntegerField(source="pk")
    reservation_id = serializers.IntegerField()
    user_id = serializers.IntegerField(source="reservation.user_id")
    author_id = serializers.IntegerField()
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = models.Message
        fields = [
            "message_id",
            "reservation_id",
            "user_id",
            "author_id",
            "author_name",
            "body",
            "created_at",
            "edited_at",
            "deleted",
        ]

    def get_author_name(self, message: models.Message) -> str:
        return message.author.get_short_name() or message.author.get_username()
