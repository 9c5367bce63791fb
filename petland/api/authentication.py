"""How API requests say who they are: a JWT (``Authorization: Bearer``) or the admin's session.

``JWTAuthentication`` is simplejwt's own, through its public ``get_user``; with the speed-ups
(``REST_FRAMEWORK`` in ``petland/settings.py``) its subclass ``petland.speedups.simplejwt``'s,
which reads the user with one prebuilt query.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _  # at raise time: the request's language
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's, except that a signed token whose user id no user can have (not a number, out
    of the column's range) is refused as "User not found" (401), where simplejwt's lookup raises
    and the request would end in a 500."""

    def get_user(self, validated_token: Any) -> Any:
        try:
            return super().get_user(validated_token)
        except (ValueError, TypeError, OverflowError, ValidationError) as error:
            raise AuthenticationFailed(_("User not found"), code="user_not_found") from error


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI schema's ``jwtAuth``, as drf-spectacular describes simplejwt's class."""

    target_class = "petland.api.authentication.JWTAuthentication"
    match_subclasses = True  # the speed-ups' subclass too
