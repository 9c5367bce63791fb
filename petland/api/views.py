"""Thin API views: they check access (the levels ``petland.domain`` declares for their model),
validate input with the serializers and hand writes to ``petland.services``, which decide who may
set what; what a user may see comes from ``petland.selectors``."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from django.db import models as db_models
from django.db.models import QuerySet
from rest_framework import generics, serializers, viewsets
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt import views as jwt_views

from petland import models, selectors, services
from petland.api import serializers as api
from petland.api.permissions import RecordAccess
from petland.api.throttles import LoginAddressThrottle, LoginUsernameThrottle


M = TypeVar("M", bound=db_models.Model)


def signed_in(request: Request) -> models.User:
    """The request's user where only a signed-in one gets this far: a write (``RecordAccess``; no
    model's write level is PUBLIC), or ``MeView`` (the default permission, IsAuthenticated)."""
    return cast(models.User, request.user)


class RecordViewSet(viewsets.ModelViewSet[M]):  # at run time, ModelViewSet[M] is ModelViewSet itself
    model: type[M]
    permission_classes = [RecordAccess]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[M]:
        return selectors.visible_records(self.model, self.request.user).order_by("id")

    def perform_create(self, serializer: serializers.BaseSerializer[M]) -> None:
        serializer.instance = self.create_record(actor=signed_in(self.request), **serializer.validated_data)

    def perform_update(self, serializer: serializers.BaseSerializer[M]) -> None:
        # An update's serializer is bound to the record it changes (``get_object``).
        instance = cast(M, serializer.instance)
        serializer.instance = self.update_record(instance, actor=signed_in(self.request), **serializer.validated_data)

    def perform_destroy(self, instance: M) -> None:
        services.record_delete(instance, actor=signed_in(self.request))

    def create_record(self, *, actor: models.User, **fields: Any) -> M:
        return services.record_create(self.model, actor=actor, **fields)

    def update_record(self, instance: M, *, actor: models.User, **fields: Any) -> M:
        return services.record_update(instance, actor=actor, **fields)


class PetViewSet(RecordViewSet[models.Pet]):
    model = models.Pet
    serializer_class = api.PetSerializer
    filterset_fields = ["species", "owner"]
    search_fields = ["name", "breed"]


class ServiceViewSet(RecordViewSet[models.Service]):
    model = models.Service
    serializer_class = api.ServiceSerializer
    filterset_fields = ["active"]
    search_fields = ["name"]


class ReservationViewSet(RecordViewSet[models.Reservation]):
    model = models.Reservation
    serializer_class = api.ReservationSerializer
    filterset_fields = ["status", "pet", "service", "user"]

    def create_record(self, *, actor: models.User, **fields: Any) -> models.Reservation:
        return services.record_create(models.Reservation, actor=actor, user_id=fields["pet"].owner_id, **fields)

    def update_record(self, instance: models.Reservation, *, actor: models.User, **fields: Any) -> models.Reservation:
        if "pet" in fields:
            fields["user_id"] = fields["pet"].owner_id
        return services.record_update(instance, actor=actor, **fields)


class PaymentViewSet(RecordViewSet[models.Payment]):
    model = models.Payment
    serializer_class = api.PaymentSerializer
    filterset_fields = ["status", "method", "reservation", "user"]

    def create_record(self, *, actor: models.User, **fields: Any) -> models.Payment:
        return services.record_create(models.Payment, actor=actor, user_id=fields["reservation"].user_id, **fields)

    def update_record(self, instance: models.Payment, *, actor: models.User, **fields: Any) -> models.Payment:
        if "reservation" in fields:
            fields["user_id"] = fields["reservation"].user_id
        return services.record_update(instance, actor=actor, **fields)


class InvoiceViewSet(RecordViewSet[models.Invoice]):
    model = models.Invoice
    serializer_class = api.InvoiceSerializer
    filterset_fields = ["status", "user", "reservation"]
    search_fields = ["number"]

    def create_record(self, *, actor: models.User, **fields: Any) -> models.Invoice:
        return services.invoice_create(actor=actor, **fields)

    def update_record(self, instance: models.Invoice, *, actor: models.User, **fields: Any) -> models.Invoice:
        return services.invoice_update(instance, actor=actor, **fields)


class MedicalRecordViewSet(RecordViewSet[models.MedicalRecord]):
    model = models.MedicalRecord
    serializer_class = api.MedicalRecordSerializer
    filterset_fields = ["pet", "veterinarian"]


class EmployeeViewSet(RecordViewSet[models.Employee]):
    model = models.Employee
    serializer_class = api.EmployeeSerializer
    filterset_fields = ["active", "position"]


class ActivityLogViewSet(viewsets.ReadOnlyModelViewSet[models.ActivityLog]):
    model = models.ActivityLog
    serializer_class = api.ActivityLogSerializer
    permission_classes = [RecordAccess]
    filterset_fields = ["action", "entity_type", "entity_id", "actor"]

    def get_queryset(self) -> QuerySet[models.ActivityLog]:
        return selectors.visible_records(self.model, self.request.user)


class MeView(generics.RetrieveAPIView[models.User]):
    serializer_class = api.UserSerializer

    def get_object(self) -> models.User:
        return signed_in(self.request)


class TokenObtainPairView(jwt_views.TokenObtainPairView):
    """simplejwt's login, with its failures counted per username and per client address: over
    either limit, a 429 with ``Retry-After``, whatever the password (``petland.api.throttles``)."""

    throttle_classes = [LoginUsernameThrottle, LoginAddressThrottle]

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except AuthenticationFailed:  # a wrong password, an unknown or disabled account
            for throttle in cast("list[LoginUsernameThrottle | LoginAddressThrottle]", self.get_throttles()):  # throttle_classes
                throttle.failed(request, self)
            raise
