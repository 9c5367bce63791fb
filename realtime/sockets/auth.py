"""Who is on the other end of a WebSocket: a JWT access token (``?token=`` or an
``Authorization: Bearer`` header), else a one-time ticket (``?ticket=``, ``realtime.sockets.tickets``),
else the Django session cookie.

A token socket's ``scope["user"]`` is a ``SocketUser``: the id and flags the socket needs,
checked against the database through the per-process cache of ``realtime.sockets.accounts``, rather
than a user model instance held for the socket's life. Load the model by id when more is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings

from realtime.sockets import accounts, tickets

ANONYMOUS = AnonymousUser()  # stateless: one instance serves every anonymous socket


@dataclass(frozen=True, slots=True)
class SocketUser:
    """The signed-in, active user of a token socket."""

    pk: int
    is_staff: bool
    is_active: bool = True
    is_authenticated: bool = True
    is_anonymous: bool = False

    @property
    def id(self) -> int:
        return self.pk


def token_from_scope(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            header: str = value.decode("latin-1")
            kind, _, token = header.partition(" ")
            if kind.lower() == "bearer" and token.strip():
                return token.strip()
    return query_param(scope, "token")


def query_param(scope: dict[str, Any], name: str) -> str | None:
    """The last value of ``name`` in the connection's query string, or None."""
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name)
    return values[-1] if values else None


def user_id_from_token(token: str) -> Any | None:
    """The user id a valid access token names (signature, type and expiry checked, no database
    query), or None."""
    try:
        claim = JWTAuthentication().get_validated_token(token.encode())[api_settings.USER_ID_CLAIM]
        return get_user_model()._meta.pk.to_python(claim)  # simplejwt writes ids as strings
    except (InvalidToken, TokenError, KeyError, ValidationError):
        return None


async def user_for_token(token: str) -> tuple[SocketUser | AnonymousUser, str | None]:
    """The active user a valid access token names, or AnonymousUser and why not."""
    return await _active_user(user_id_from_token(token), "Invalid or expired token.")


async def user_for_ticket(ticket: str) -> tuple[SocketUser | AnonymousUser, str | None]:
    """The active user a valid ticket was made for, or AnonymousUser and why not. The ticket
    is used up, whatever the answer."""
    user_id = await database_sync_to_async(tickets.ticket_consume)(ticket=ticket)
    return await _active_user(user_id, "Invalid, used or expired ticket.")


async def _active_user(user_id: Any | None, refusal: str) -> tuple[SocketUser | AnonymousUser, str | None]:
    if user_id is None:
        return ANONYMOUS, refusal
    found = await accounts.status(user_id)
    if found is None:
        return ANONYMOUS, refusal
    is_active, is_staff = found
    if not is_active:
        return ANONYMOUS, "This account is disabled."
    return SocketUser(pk=user_id, is_staff=is_staff), None


class RealtimeAuthMiddleware:
    """Sets ``scope["user"]``: from a token, else a ticket, when one is given (it wins over the
    session, and ``scope["auth_error"]`` says why it was refused); else from the session cookie
    through Channels' session stack; else anonymous. A token costs a database hop only when its user
    is not in the process's account cache; a socket with neither token nor cookie costs none."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.session_stack = AuthMiddlewareStack(inner)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        # The server made this scope for this one connection, so it is filled in place rather
        # than copied: a copy would be held for the socket's life (≈ 0.8 KB per socket).
        token = token_from_scope(scope)
        ticket = query_param(scope, "ticket") if token is None else None
        if token is not None or ticket is not None:
            if token is not None:
                scope["user"], error = await user_for_token(token)
            elif ticket is not None:
                scope["user"], error = await user_for_ticket(ticket)
            if error is not None:  # only then: one key more makes the dict grow a size
                scope["auth_error"] = error
            del token, ticket  # not kept alive in this frame for the socket's life
            return await self.inner(scope, receive, send)
        if _has_session_cookie(scope):
            return await self.session_stack(scope, receive, send)
        scope["user"] = ANONYMOUS
        return await self.inner(scope, receive, send)


def _has_session_cookie(scope: dict[str, Any]) -> bool:
    name = settings.SESSION_COOKIE_NAME.encode("latin-1")
    return any(key == b"cookie" and name in value for key, value in scope.get("headers", ()))
