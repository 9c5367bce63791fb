"""Model validation errors raised by the services become 400s with per-field messages; a write
the services refuse to its actor (``Forbidden``) is a 403 naming each field; deleting a record
that others still refer to (``on_delete=PROTECT``) is a 409, not a server error."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from petland.services import Forbidden


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "The record is still in use."
    default_code = "conflict"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Forbidden):  # a write its actor may not make: 403, naming each field refused
        exc = exceptions.PermissionDenied({name: [why] for name, why in exc.fields.items()} if exc.fields else exc.detail)
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, ProtectedError):
        blocking = sorted({str(record._meta.verbose_name_plural) for record in exc.protected_objects})
        exc = Conflict(f"Cannot delete: {', '.join(blocking)} still refer to it.")
    return drf_exception_handler(exc, context)
