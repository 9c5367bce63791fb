from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from realtime.feed import keys
from realtime.models import Event, IntegrationKey, Notification

if TYPE_CHECKING:  # ModelAdmin and ModelForm are generic for the type checker only (django-stubs)
    EventAdminBase = admin.ModelAdmin[Event]
    NotificationAdminBase = admin.ModelAdmin[Notification]
    IntegrationKeyAdminBase = admin.ModelAdmin[IntegrationKey]
    IntegrationKeyFormBase = forms.ModelForm[IntegrationKey]
else:
    EventAdminBase = NotificationAdminBase = IntegrationKeyAdminBase = admin.ModelAdmin
    IntegrationKeyFormBase = forms.ModelForm


@admin.register(Event)
class EventAdmin(EventAdminBase):
    list_display = ["seq", "type", "channel", "record_id", "created_at"]
    list_filter = ["type", "channel"]
    search_fields = ["record_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(NotificationAdminBase):
    list_display = ["user", "type", "created_at", "read_at"]
    list_filter = ["type"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]
    date_hierarchy = "created_at"


class IntegrationKeyForm(IntegrationKeyFormBase):
    channels = forms.MultipleChoiceField(choices=(), widget=forms.CheckboxSelectMultiple, help_text="The channels it may read")

    class Meta:
        model = IntegrationKey
        fields = ["name", "channels"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channels = self.fields["channels"]
        assert isinstance(channels, forms.MultipleChoiceField)
        channels.choices = [(channel, channel) for channel in keys.known_channels()]


@admin.register(IntegrationKey)
class IntegrationKeyAdmin(IntegrationKeyAdminBase):
    """Keys for the change feed. The key itself is shown once, in the message after it is made;
    only its SHA-256 is kept."""

    form = IntegrationKeyForm
    list_display = ["name", "prefix", "channels", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: IntegrationKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        row, key = keys.integration_key_create(name=obj.name, channels=form.cleaned_data["channels"])
        obj.pk, obj.prefix, obj.digest, obj.created_at = row.pk, row.prefix, row.digest, row.created_at
        obj._state.adding = False
        messages.warning(request, f"The key for “{row.name}” is {key} — copy it now: it is stored hashed and not shown again.")

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[IntegrationKey]) -> None:
        revoked = sum(keys.integration_key_revoke(key_id=pk) for pk in queryset.values_list("pk", flat=True))
        messages.success(request, f"Revoked {revoked} key(s).")
