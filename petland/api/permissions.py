from __future__ import annotations

from typing import Any

from rest_framework import permissions

PUBLIC, CUSTOMER, STAFF = "public", "customer", "staff"


class RecordAccess(permissions.BasePermission):
    """Who may read and who may write, per view: ``read_access`` and ``write_access`` are
    PUBLIC (anyone), CUSTOMER (any signed-in user, limited to their own records by the
    queryset) or STAFF."""

    def has_permission(self, request: Any, view: Any) -> bool:
        level = view.read_access if request.method in permissions.SAFE_METHODS else view.write_access
        user = request.user
        if level == PUBLIC:
            return True
        if not (user and user.is_authenticated):
            return False
        return level == CUSTOMER or user.is_staff
