from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.http import HttpRequest

from realtime.models import Event, Notification

if TYPE_CHECKING:  # ModelAdmin is generic for the type checker only (django-stubs)
    EventAdminBase = admin.ModelAdmin[Event]
    NotificationAdminBase = admin.ModelAdmin[Notification]
else:
    EventAdminBase = NotificationAdminBase = admin.ModelAdmin


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
