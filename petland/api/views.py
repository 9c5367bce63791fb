"""Thin API views: they check access, validate input with the serializers and hand writes to
``petland.services``; what a user may see comes from ``petland.selectors``."""

from __future__ import annotations

from typing import Any

from django.db import models as db_models
from rest_framework import generics, serializers, viewsets
from rest_framework.exceptions import ValidationError

from petland import models, selectors, services
from petland.api import serializers as api
from petland.api.permissions import CUSTOMER, PUBLIC, STAFF, RecordAccess


class RecordViewSet(viewsets.ModelViewSet):
    model: type[db_models.Model]
    read_access = CUSTOMER
    write_access = CUSTOMER
    permission_classes = [RecordAccess]
    ordering = ["id"]
    # The field through which a customer owns a record they create (None: not set by them).
    owner_field: str | None = None

    def get_queryset(self) -> Any:
        return selectors.visible_records(self.model, self.request.user).order_by("id")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        fields = self.with_owner(dict(serializer.validated_data))
        serializer.instance = self.create_record(actor=self.request.user, **fields)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        fields = dict(serializer.validated_data)
        if self.owner_field and self.owner_field in fields and not self.request.user.is_staff:
            self.with_owner(fields)
        serializer.instance = self.update_record(serializer.instance, actor=self.request.user, **fields)

    def perform_destroy(self, instance: db_models.Model) -> None:
        services.record_delete(instance, actor=self.request.user)

    def create_record(self, *, actor: Any, **fields: Any) -> db_models.Model:
        return services.record_create(self.model, actor=actor, **fields)

    def update_record(self, instance: db_models.Model, *, actor: Any, **fields: Any) -> db_models.Model:
        return services.record_update(instance, actor=actor, **fields)

    def with_owner(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Customers own what they create; staff must say whose it is."""
        name, user = self.owner_field, self.request.user
        if name is None:
            return fields
        if user.is_staff:
            if fields.get(name) is None:
                raise ValidationError({name: ["Staff must name the customer (a user id)."]})
        elif fields.get(name) not in (None, user):
            raise ValidationError({name: ["Customers can only act for themselves."]})
        else:
            fields[name] = user
        return fields


class PetViewSet(RecordViewSet):
    model = models.Pet
    serializer_class = api.PetSerializer
    owner_field = "owner"
    filterset_fields = ["species", "owner"]
    search_fields = ["name", "breed"]


class ServiceViewSet(RecordViewSet):
    model = models.Service
    serializer_class = api.ServiceSerializer
    read_access = PUBLIC
    write_access = STAFF
    filterset_fields = ["active"]
    search_fields = ["name"]


class ReservationViewSet(RecordViewSet):
    model = models.Reservation
    serializer_class = api.ReservationSerializer
    filterset_fields = ["status", "pet", "service", "user"]

    def create_record(self, *, actor: Any, **fields: Any) -> models.Reservation:
        return services.record_create(models.Reservation, actor=actor, user_id=fields["pet"].owner_id, **fields)

    def update_record(self, instance: Any, *, actor: Any, **fields: Any) -> models.Reservation:
        if "pet" in fields:
            fields["user_id"] = fields["pet"].owner_id
        return services.record_update(instance, actor=actor, **fields)


class PaymentViewSet(RecordViewSet):
    model = models.Payment
    serializer_class = api.PaymentSerializer
    filterset_fields = ["status", "method", "reservation", "user"]

    def create_record(self, *, actor: Any, **fields: Any) -> models.Payment:
        return services.record_create(models.Payment, actor=actor, user_id=fields["reservation"].user_id, **fields)

    def update_record(self, instance: Any, *, actor: Any, **fields: Any) -> models.Payment:
        if "reservation" in fields:
            fields["user_id"] = fields["reservation"].user_id
        return services.record_update(instance, actor=actor, **fields)


class InvoiceViewSet(RecordViewSet):
    model = models.Invoice
    serializer_class = api.InvoiceSerializer
    owner_field = "user"
    filterset_fields = ["status", "user", "reservation"]
    search_fields = ["number"]

    def create_record(self, *, actor: Any, **fields: Any) -> models.Invoice:
        return services.invoice_create(actor=actor, **fields)

    def update_record(self, instance: Any, *, actor: Any, **fields: Any) -> models.Invoice:
        return services.invoice_update(instance, actor=actor, **fields)


class MedicalRecordViewSet(RecordViewSet):
    model = models.MedicalRecord
    serializer_class = api.MedicalRecordSerializer
    write_access = STAFF
    filterset_fields = ["pet", "veterinarian"]


class EmployeeViewSet(RecordViewSet):
    model = models.Employee
    serializer_class = api.EmployeeSerializer
    read_access = STAFF
    write_access = STAFF
    filterset_fields = ["active", "position"]


class ActivityLogViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = api.ActivityLogSerializer
    permission_classes = [RecordAccess]
    read_access = STAFF
    write_access = STAFF
    filterset_fields = ["action", "entity_type", "entity_id", "actor"]

    def get_queryset(self) -> Any:
        return selectors.visible_records(models.ActivityLog, self.request.user)


class MeView(generics.RetrieveAPIView):
    serializer_class = api.UserSerializer

    def get_object(self) -> Any:
        return self.request.user
