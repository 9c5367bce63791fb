"""The notification a new message sends: ``chat_message`` to each participant who is not in the
conversation, at most one unread per conversation and user (a newer message updates it).

Participants: the reservation's customer, and the staff who joined the conversation (wrote or
read in it, ``selectors.staff_participant_ids``); other staff are not notified (it shows in
their Conversations page). "In the conversation": a socket of theirs has joined its presence
topic (``present_user_ids``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from petland import models
from petland.chat import selectors
from realtime import Notice

PREVIEW = 100  # characters of the body a notification shows


def present_user_ids(reservation_id: int) -> set[str]:
    """The ids of the users with a socket joined to the conversation's presence topic. The one
    place that asks presence (issue 15); until ``realtime.presence`` exists nobody is present,
    and everyone not in the conversation is notified."""
    try:
        from realtime.presence.selectors import present_user_ids as present
    except ImportError:
        return set()
    return present("chat", str(reservation_id))


def chat_message(instance: models.Message, action: str, previous: Mapping[str, Any]) -> Iterable[Notice]:
    if action != "created":
        return
    reservation = instance.reservation
    participants = {reservation.user_id, *selectors.staff_participant_ids(reservation)} - {instance.author_id}
    present = present_user_ids(reservation.pk)
    data = {
        "reservation_id": reservation.pk,
        "message_id": instance.pk,
        "author_name": instance.author.get_short_name() or instance.author.get_username(),
        "preview": instance.body[:PREVIEW],
    }
    for user_id in sorted(participants):
        if str(user_id) not in present:
            yield Notice(user_id, "chat_message", data, replaces="reservation_id")
