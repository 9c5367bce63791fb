from django.contrib import admin

from realtime.models import Event, Notification


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["seq", "type", "channel", "record_id", "created_at"]
    list_filter = ["type", "channel"]
    search_fields = ["record_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "type", "created_at", "read_at"]
    list_filter = ["type"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]
    date_hierarchy = "created_at"
