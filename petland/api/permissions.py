from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from petland import domain


class RecordAccess(permissions.BasePermission):
    """Who may read and who may write, per view: the levels that ``petland.domain`` declares for
    the view's ``model``. PUBLIC is anyone, CUSTOMER any signed-in user (limited to their own
    records by the queryset, and to what the customer rules allow by the services), STAFF staff."""

    def has_permission(self, request: Request, view: Any) -> bool:
        declared = domain.record(view.model)
        level = declared.read if request.method in permissions.SAFE_METHODS else declared.write
        user = request.user
        if level is domain.Level.PUBLIC:
            return True
        if not (user and user.is_authenticated):
            return False
        return level is domain.Level.CUSTOMER or user.is_staff
