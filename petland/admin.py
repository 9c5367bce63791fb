"""The staff's workplace. Admin saves go through Django's own ModelAdmin (inside a
transaction), so they write activity-log rows and publish events like any other change."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from petland import models


@admin.register(models.User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_active", "is_superuser"]


@admin.register(models.Pet)
class PetAdmin(admin.ModelAdmin):
    list_display = ["name", "species", "breed", "age", "owner"]
    list_filter = ["species"]
    search_fields = ["name", "breed", "owner__username", "owner__email"]
    autocomplete_fields = ["owner"]


@admin.register(models.Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "price", "duration", "active"]
    list_filter = ["active"]
    list_editable = ["active"]
    search_fields = ["name", "description"]


@admin.register(models.Reservation)
class ReservationAdmin(admin.ModelAdmin):
    list_display = ["id", "pet", "user", "service", "checkin_date", "checkout_date", "status"]
    list_filter = ["status", "service"]
    search_fields = ["pet__name", "user__username", "user__email"]
    autocomplete_fields = ["user", "pet", "service"]
    date_hierarchy = "checkin_date"


@admin.register(models.Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["id", "reservation", "user", "amount", "method", "status", "created_at"]
    list_filter = ["status", "method"]
    search_fields = ["user__username", "reservation__pet__name"]
    autocomplete_fields = ["reservation", "user"]
    date_hierarchy = "created_at"


@admin.register(models.Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["number", "user", "reservation", "total", "status", "issued_at"]
    list_filter = ["status"]
    search_fields = ["number", "user__username", "user__email"]
    autocomplete_fields = ["user", "reservation"]
    date_hierarchy = "issued_at"


@admin.register(models.MedicalRecord)
class MedicalRecordAdmin(admin.ModelAdmin):
    list_display = ["pet", "date", "diagnosis", "veterinarian"]
    list_filter = ["veterinarian"]
    search_fields = ["pet__name", "description", "diagnosis", "treatment"]
    autocomplete_fields = ["pet", "veterinarian"]
    date_hierarchy = "date"


@admin.register(models.Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ["user", "position", "hire_date", "active"]
    list_filter = ["active", "position"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "position"]
    autocomplete_fields = ["user"]
    date_hierarchy = "hire_date"


@admin.register(models.ActivityLog)
class ActivityLogAdmin(admin.ModelAdmin):
    """Read-only: the log records what happened."""

    list_display = ["created_at", "action", "entity_type", "entity_id", "summary", "actor"]
    list_filter = ["action", "entity_type"]
    search_fields = ["summary", "entity_id", "actor__username"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
