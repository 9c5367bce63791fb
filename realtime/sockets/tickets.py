"""One-time socket tickets: ``POST /api/realtime/ticket/`` makes one for the signed-in user, and
a WebSocket handshake with ``?ticket=`` uses it up. A ticket lives ``TICKET_SECONDS`` and opens
exactly one socket, on any server process, even when two handshakes race with it."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from realtime.models import SocketTicket

TICKET_SECONDS = 30
MAX_TICKET_LENGTH = 100  # longer input is no ticket of ours: refused without a query


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def ticket_create(*, user_id: int) -> str:
    """A new ticket for the user; tickets that expired unused are deleted on the way."""
    now = timezone.now()
    SocketTicket.objects.filter(expires_at__lte=now).delete()
    ticket = secrets.token_urlsafe(32)
    SocketTicket.objects.create(digest=_digest(ticket), user_id=user_id, expires_at=now + timedelta(seconds=TICKET_SECONDS))
    return ticket


def ticket_consume(*, ticket: str) -> int | None:
    """The id of the user a valid, unused, unexpired ticket was made for, or None. The ticket is
    used up either way: the conditional delete lets exactly one of two racing handshakes win."""
    if not ticket or len(ticket) > MAX_TICKET_LENGTH:
        return None
    found = SocketTicket.objects.filter(digest=_digest(ticket)).values_list("pk", "user_id", "expires_at").first()
    if found is None:
        return None
    pk, user_id, expires_at = found
    deleted, _ = SocketTicket.objects.filter(pk=pk).delete()
    if not deleted or expires_at <= timezone.now():
        return None
    return user_id
