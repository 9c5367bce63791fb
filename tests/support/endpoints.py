"""The REST endpoints' records, shared by the permission and security matrices: the model
behind each endpoint, and the field an update changes with its new value (as the record's str())."""

from __future__ import annotations

from django.db import models as db_models

from petland import models

MODEL: dict[str, type[db_models.Model]] = {
    "pets": models.Pet,
    "services": models.Service,
    "reservations": models.Reservation,
    "payments": models.Payment,
    "invoices": models.Invoice,
    "medical-history": models.MedicalRecord,
    "employees": models.Employee,
    "activity-logs": models.ActivityLog,
}

UPDATE: dict[str, tuple[str, str]] = {
    "pets": ("name", "Renamed"),
    "services": ("description", "Now with a treat"),
    "reservations": ("status", "confirmed"),
    "payments": ("method", "transfer"),
    "invoices": ("total", "99.00"),
    "medical-history": ("treatment", "Rest"),
    "employees": ("position", "Groomer"),
    "activity-logs": ("summary", "forged"),
}
