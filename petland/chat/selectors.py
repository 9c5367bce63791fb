"""Reads of conversations: who takes part, history pages, conversations with unread counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from petland.models import ChatReadMarker, Message, Reservation, User
from petland.selectors import visible_records

DEFAULT_PAGE = 50
MAX_PAGE = 100


def conversation_of(reservation_id: int, user: User | AnonymousUser) -> Reservation | None:
    """The reservation whose conversation ``user`` takes part in (its customer, or staff), or
    None: a stranger's is as absent as one that does not exist."""
    return visible_records(Reservation, user).filter(pk=reservation_id).first()


def participant_ids(reservation_id: str) -> list[int] | None:
    """The users besides staff who take part in a conversation (its customer), or None when there
    is no such reservation: the typing relay's ``Relay.participants``."""
    if not (reservation_id.isascii() and reservation_id.isdigit()) or int(reservation_id) >= 2**63:
        return None
    customer = Reservation.objects.filter(pk=int(reservation_id)).values_list("user_id", flat=True).first()
    return None if customer is None else [customer]


def staff_participant_ids(reservation: Reservation) -> set[int]:
    """The staff who joined a conversation: wrote in it or read it (a read marker). Only they are
    notified of its new messages; every other member of staff sees it in the Conversations list."""
    writers = Message.objects.filter(reservation=reservation, author__is_staff=True).values_list("author_id", flat=True)
    readers = ChatReadMarker.objects.filter(reservation=reservation, user__is_staff=True).values_list("user_id", flat=True)
    return {*writers, *readers}


@dataclass(frozen=True)
class HistoryPage:
    messages: list[Message]  # ascending
    older: int | None  # the ``before`` of the next (older) page, or None at the start


def history_page(reservation: Reservation, *, before: int | None = None, limit: int = DEFAULT_PAGE) -> HistoryPage:
    """The newest ``limit`` messages before message ``before`` (all when None), oldest first."""
    messages = Message.objects.filter(reservation=reservation).select_related("author")
    if before is not None:
        messages = messages.filter(pk__lt=before)
    newest_first = list(messages.order_by("-id")[: limit + 1])
    page = newest_first[:limit]
    page.reverse()
    return HistoryPage(page, page[0].pk if len(newest_first) > limit else None)


def read_marker(reservation: Reservation, user: User) -> int:
    """The id of the newest message ``user`` has read in the conversation (0: none)."""
    marker = ChatReadMarker.objects.filter(reservation=reservation, user=user).values_list("up_to", flat=True).first()
    return marker or 0


def conversations(user: User, *, unread_only: bool = False) -> QuerySet[Reservation]:
    """The conversations ``user`` takes part in that have messages, newest activity first, each
    annotated with ``last_message_id`` and ``unread``: the messages of others, not deleted, after
    the user's read marker."""
    marker = ChatReadMarker.objects.filter(user=user, reservation=OuterRef("pk")).values("up_to")[:1]
    rows = (
        visible_records(Reservation, user)
        .filter(messages__isnull=False)
        .annotate(read_up_to=Coalesce(Subquery(marker, output_field=IntegerField()), Value(0)))
        .annotate(
            last_message_id=Max("messages__id"),
            unread=Count(
                "messages",
                filter=Q(messages__id__gt=F("read_up_to"), messages__deleted=False) & ~Q(messages__author=user),
            ),
        )
        .order_by("-last_message_id")
    )
    return rows.filter(unread__gt=0) if unread_only else rows


def messages_by_id(ids: Iterable[int]) -> dict[int, Message]:
    return {message.pk: message for message in Message.objects.filter(pk__in=list(ids)).select_related("author")}
