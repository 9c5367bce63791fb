"""Who may read the change feed, and which of its channels: staff (signed in as for the rest of
the API), or an integration key (``Authorization: Api-Key <key>``) for the channels it names.
Customers are refused (403), requests without credentials asked for them (401)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request
from rest_framework.settings import api_settings

from realtime.feed import keys
from realtime.models import IntegrationKey

SCHEME = "Api-Key"


class IntegrationClient:
    """``request.user`` for a request made with an integration key: signed in, not a user."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, key: IntegrationKey) -> None:
        self.key = key

    def __str__(self) -> str:
        return f"integration key {self.key}"


class IntegrationKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key <key>``: a valid key authenticates as its ``IntegrationClient``;
    an unknown or revoked one is refused (401); any other header is left to the next class."""

    def authenticate(self, request: Request) -> tuple[IntegrationClient, IntegrationKey] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() != SCHEME.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give the key after 'Api-Key ', without spaces."))
        row = keys.integration_key_find(key=header[1].decode(errors="replace"))
        if row is None or row.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked integration key."))
        keys.integration_key_used(row=row)
        return IntegrationClient(row), row

    def authenticate_header(self, request: Request) -> str:
        return SCHEME


def feed_authenticators() -> list[authentication.BaseAuthentication]:
    """The key first (so that a request without credentials gets 401 with ``WWW-Authenticate:
    Api-Key``), then whatever the project's API accepts (a JWT, the session)."""
    # DRF's settings import the dotted paths they list: classes, for all the stubs say strings
    configured = cast("list[type[authentication.BaseAuthentication]]", api_settings.DEFAULT_AUTHENTICATION_CLASSES)
    return [IntegrationKeyAuthentication(), *(cls() for cls in configured)]


class FeedReader(permissions.BasePermission):
    """Staff or an integration key; any other signed-in user is refused."""

    message = _("The change feed is for staff and integration keys.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (isinstance(user, IntegrationClient) or user.is_staff))


@dataclass(frozen=True)
class Reader:
    """Whose events a feed request reads: the same visibility rule as a socket of theirs. A key
    reads as staff do (not the private notifications of any user) on its channels only."""

    user_id: int | None
    is_staff: bool
    channels: frozenset[str] | None  # None: every channel

    @classmethod
    def of(cls, request: Request) -> Reader:
        user = request.user
        if isinstance(user, IntegrationClient):
            return cls(user_id=None, is_staff=True, channels=frozenset(user.key.channels))
        return cls(user_id=user.pk, is_staff=True, channels=None)

    def may_read(self, channel: str) -> bool:
        return self.channels is None or channel in self.channels
