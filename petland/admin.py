"""The staff's workplace. Saves and deletes of PetLand's records, accounts included, go through
``petland.services`` (``RecordAdmin``), so the admin obeys the rules that the API and the shell
obey: validation, server-given invoice numbers, ``issued_at`` stamped on issue, the activity log
and events, with the admin user as the actor."""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db import models as db_models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from petland import activity, models, services


M = TypeVar("M", bound=db_models.Model)


def _staff(request: HttpRequest) -> models.User:
    """The admin's user: the admin site admits only signed-in staff."""
    return cast(models.User, request.user)


class RecordAdmin(admin.ModelAdmin, Generic[M]):
    """A ModelAdmin whose writes are the services'."""

    model: type[M]

    def create_record(self, *, actor: models.User, **fields: Any) -> M:
        return services.record_create(self.model, actor=actor, **fields)

    def update_record(self, instance: M, *, actor: models.User, **fields: Any) -> M:
        return services.record_update(instance, actor=actor, **fields)

    def fields_to_create(self, obj: M, form: ModelForm[M]) -> dict[str, Any]:
        """What the add form gives a new record: its model's fields among the form's."""
        names = {field.name for field in obj._meta.concrete_fields if not field.primary_key}
        return {name: value for name, value in form.cleaned_data.items() if name in names}

    def save_model(self, request: HttpRequest, obj: M, form: ModelForm[M], change: bool) -> None:
        if change:
            names = {field.name for field in obj._meta.concrete_fields if not field.primary_key}
            self.update_record(
                obj, actor=_staff(request), **{name: form.cleaned_data[name] for name in form.changed_data if name in names}
            )
            return
        saved = self.create_record(actor=_staff(request), **self.fields_to_create(obj, form))
        # The admin goes on with the instance it gave us (its pk names the redirect): make it the saved record.
        obj.__dict__.update(saved.__dict__)

    def delete_model(self, request: HttpRequest, obj: M) -> None:
        services.record_delete(obj, actor=_staff(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[M]) -> None:
        for obj in queryset:
            services.record_delete(obj, actor=_staff(request))


class PasswordChangeForm(AdminPasswordChangeForm):
    """The admin's password page, its save the services' (the actor: the admin user, whom
    ``ActorMiddleware`` names for the request)."""

    def save(self, commit: bool = True) -> models.User:
        user = super().save(commit=False)
        if commit:
            user = services.record_update(user, actor=activity.current_actor(), password=user.password)
        return user


@admin.register(models.User)
class UserAdmin(RecordAdmin[models.User], BaseUserAdmin):
    change_password_form = PasswordChangeForm
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_active", "is_superuser"]

    def fields_to_create(self, obj: models.User, form: ModelForm[models.User]) -> dict[str, Any]:
        # The add form has no password field: it hashes password1 (or makes the password
        # unusable) on the instance it gives us.
        return {**super().fields_to_create(obj, form), "password": obj.password}


@admin.register(models.Pet)
class PetAdmin(RecordAdmin[models.Pet]):
    list_display = ["name", "species", "breed", "age", "owner"]
    list_filter = ["species"]
    search_fields = ["name", "breed", "owner__username", "owner__email"]
    autocomplete_fields = ["owner"]


@admin.register(models.Service)
class ServiceAdmin(RecordAdmin[models.Service]):
    list_display = ["name", "price", "duration", "active"]
    list_filter = ["active"]
    list_editable = ["active"]
    search_fields = ["name", "description"]


@admin.register(models.Reservation)
class ReservationAdmin(RecordAdmin[models.Reservation]):
    list_display = ["id", "pet", "user", "service", "checkin_date", "checkout_date", "status"]
    list_filter = ["status", "service"]
    search_fields = ["pet__name", "user__username", "user__email"]
    autocomplete_fields = ["user", "pet", "service"]
    date_hierarchy = "checkin_date"

    def get_urls(self) -> list[URLPattern]:
        # The conversations of every reservation, live (petland/static/petland/conversations.js).
        conversations = path(
            "conversations/", self.admin_site.admin_view(self.conversations_view), name="petland_reservation_conversations"
        )
        return [conversations, *super().get_urls()]

    def conversations_view(self, request: HttpRequest) -> HttpResponse:
        context = {**self.admin_site.each_context(request), "title": "Conversations", "opts": self.model._meta}
        return TemplateResponse(request, "admin/petland/conversations.html", context)


@admin.register(models.Payment)
class PaymentAdmin(RecordAdmin[models.Payment]):
    list_display = ["id", "reservation", "user", "amount", "method", "status", "created_at"]
    list_filter = ["status", "method"]
    search_fields = ["user__username", "reservation__pet__name"]
    autocomplete_fields = ["reservation", "user"]
    date_hierarchy = "created_at"


@admin.register(models.Invoice)
class InvoiceAdmin(RecordAdmin[models.Invoice]):
    list_display = ["number", "user", "reservation", "total", "status", "issued_at"]
    list_filter = ["status"]
    search_fields = ["number", "user__username", "user__email"]
    autocomplete_fields = ["user", "reservation"]
    date_hierarchy = "issued_at"
    readonly_fields = ["number"]

    def create_record(self, *, actor: models.User, **fields: Any) -> models.Invoice:
        return services.invoice_create(actor=actor, **fields)

    def update_record(self, instance: models.Invoice, *, actor: models.User, **fields: Any) -> models.Invoice:
        return services.invoice_update(instance, actor=actor, **fields)


@admin.register(models.MedicalRecord)
class MedicalRecordAdmin(RecordAdmin[models.MedicalRecord]):
    list_display = ["pet", "date", "diagnosis", "veterinarian"]
    list_filter = ["veterinarian"]
    search_fields = ["pet__name", "description", "diagnosis", "treatment"]
    autocomplete_fields = ["pet", "veterinarian"]
    date_hierarchy = "date"


@admin.register(models.Employee)
class EmployeeAdmin(RecordAdmin[models.Employee]):
    list_display = ["user", "position", "hire_date", "active"]
    list_filter = ["active", "position"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "position"]
    autocomplete_fields = ["user"]
    date_hierarchy = "hire_date"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that staff look at and nobody writes by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: db_models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: db_models.Model | None = None) -> bool:
        return False


@admin.register(models.ActivityLog)
class ActivityLogAdmin(ReadOnlyAdmin):
    """Read-only: the log records what happened."""

    list_display = ["created_at", "action", "entity_type", "entity_id", "summary", "actor"]
    list_filter = ["action", "entity_type"]
    search_fields = ["summary", "entity_id", "actor__username"]
    date_hierarchy = "created_at"


@admin.register(models.InvoiceCounter)
class InvoiceCounterAdmin(ReadOnlyAdmin):
    """Read-only: the counters move only when the server numbers an invoice."""

    list_display = ["year", "last"]


@admin.register(models.Message)
class MessageAdmin(ReadOnlyAdmin):
    """Read-only: staff write in a conversation from its reservation's page (the chat services)."""

    list_display = ["created_at", "reservation", "author", "body", "deleted"]
    list_filter = ["deleted"]
    search_fields = ["body", "author__username", "reservation__pet__name"]
    date_hierarchy = "created_at"
    list_select_related = ["reservation__pet", "author"]


@admin.register(models.ChatReadMarker)
class ChatReadMarkerAdmin(ReadOnlyAdmin):
    """Read-only: a marker moves when its user reads the conversation."""

    list_display = ["reservation", "user", "up_to"]
