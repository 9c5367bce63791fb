"""Writes of conversations: post, edit, delete a message, move a read marker. Each publishes its
event on the ``chat`` channel inside its transaction (sent after commit); a new message also
notifies the participants who are not in the conversation (``petland.chat.notices``).

Who may write is checked here: the caller has already found the reservation among those its
user takes part in (``selectors.conversation_of``), so a stranger never gets this far."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import realtime
from petland.models import ChatReadMarker, Message, Reservation, User
from petland.services import Forbidden

CHANNEL = "chat"
EDIT_WINDOW = timedelta(minutes=15)
ONLY_THE_AUTHOR = "Only its author may edit a message."
WINDOW_CLOSED = "A message can be changed for 15 minutes after it was sent."
ALREADY_DELETED = "This message was deleted."


@transaction.atomic
def message_post(*, reservation: Reservation, author: User, body: str) -> Message:
    message = Message(reservation=reservation, author=author, body=body)
    message.full_clean()
    message.save()
    realtime.publish_change(message, "created")
    return message


def _within_window(message: Message) -> bool:
    return timezone.now() - message.created_at <= EDIT_WINDOW


@transaction.atomic
def message_edit(*, message: Message, actor: User, body: str) -> Message:
    """The author's new text, within 15 minutes of sending."""
    if message.author_id != actor.pk:
        raise Forbidden(detail=ONLY_THE_AUTHOR)
    if message.deleted:
        raise Forbidden(detail=ALREADY_DELETED)
    if not _within_window(message):
        raise Forbidden(detail=WINDOW_CLOSED)
    message.body, message.edited_at = body, timezone.now()
    message.full_clean()
    message.save(update_fields=["body", "edited_at"])
    realtime.publish_change(message, "updated")
    return message


@transaction.atomic
def message_delete(*, message: Message, actor: User) -> Message:
    """By its author within 15 minutes, by staff at any time. The message keeps its place in the
    conversation, its body emptied. Deleting it again changes nothing."""
    if not actor.is_staff:
        if message.author_id != actor.pk:
            raise Forbidden(detail="Customers delete only their own messages.")
        if not _within_window(message):
            raise Forbidden(detail=WINDOW_CLOSED)
    if message.deleted:
        return message
    message.body, message.deleted = "", True
    message.save(update_fields=["body", "deleted"])
    realtime.publish_change(message, "deleted")
    return message


@transaction.atomic
def read_marker_move(*, reservation: Reservation, reader: User, up_to: int) -> ChatReadMarker:
    """Moves ``reader``'s marker forward to message ``up_to`` of the conversation; a marker
    already past it stays where it is (and nothing is published)."""
    if not Message.objects.filter(reservation=reservation, pk=up_to).exists():
        raise ValidationError({"up_to": "Not a message of this conversation."})
    marker, _ = ChatReadMarker.objects.select_for_update().get_or_create(reservation=reservation, user=reader)
    if up_to <= marker.up_to:
        return marker
    marker.up_to = up_to
    marker.save(update_fields=["up_to"])
    data = {"reservation_id": reservation.pk, "user_id": reservation.user_id, "reader_id": reader.pk, "up_to": up_to}
    realtime.publish_event(CHANNEL, "read", data, audience=[reservation.user_id])
    return marker
