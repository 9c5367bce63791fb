"""Who is on the other end of a WebSocket: a JWT access token (``?token=`` or an
``Authorization: Bearer`` header), else the Django session cookie."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError


def token_from_scope(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            if kind.lower() == "bearer" and token.strip():
                return token.strip()
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    return values[-1] if values else None


def user_for_token(token: str) -> tuple[Any, str | None]:
    """The active user a valid access token names, or AnonymousUser and why not."""
    auth = JWTAuthentication()
    try:
        validated = auth.get_validated_token(token.encode())
        user = auth.get_user(validated)
    except (InvalidToken, TokenError, AuthenticationFailed):
        return AnonymousUser(), "Invalid or expired token."
    if not user.is_active:
        return AnonymousUser(), "This account is disabled."
    return user, None


class RealtimeAuthMiddleware:
    """Sets ``scope["user"]``: from a token when one is given (it wins over the session, and
    ``scope["auth_error"]`` says why a token was refused); else from the session cookie through
    Channels' session stack; else anonymous. Each path costs at most one database hop, and a
    socket with neither token nor cookie costs none."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.session_stack = AuthMiddlewareStack(inner)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        token = token_from_scope(scope)
        if token is not None:
            user, error = await database_sync_to_async(user_for_token)(token)
            return await self.inner({**scope, "user": user, "auth_error": error}, receive, send)
        if _has_session_cookie(scope):
            return await self.session_stack(scope, receive, send)
        return await self.inner({**scope, "user": AnonymousUser()}, receive, send)


def _has_session_cookie(scope: dict[str, Any]) -> bool:
    name = settings.SESSION_COOKIE_NAME.encode("latin-1")
    return any(key == b"cookie" and name in value for key, value in scope.get("headers", ()))
