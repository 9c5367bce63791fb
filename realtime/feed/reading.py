"""Reads of the change feed: a page of the events a reader may see after a cursor, and whether
the cursor is still served (not older than the log's retention, not foreign to it)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import cast

from django.db.models import Min

from realtime.log import messages, selectors
from realtime.models import Event


@dataclass(frozen=True, slots=True)
class Page:
    """Events after a cursor, as the socket's messages (text, ``event_id`` included)."""

    texts: list[str]
    last_event_id: int  # the cursor to read on from: the last event returned, or the log's newest
    has_more: bool

    def json(self) -> bytes:
        """``{"events": [...], "last_event_id": N, "has_more": b}``, from the stored texts as they are."""
        more = "true" if self.has_more else "false"
        return f'{{"events":[{",".join(self.texts)}],"last_event_id":{self.last_event_id},"has_more":{more}}}'.encode()

    def lines(self) -> bytes:
        """One message a line (newline-delimited JSON)."""
        return "".join(f"{text}\n" for text in self.texts).encode()


@dataclass(frozen=True, slots=True)
class Resync:
    """The cursor is not served: the reader reloads its state, then reads on from ``last_event_id``."""

    last_event_id: int

    def json(self) -> bytes:
        return messages.control("resync_required", last_event_id=self.last_event_id).encode()


def feed_page(*, after: int, channels: Collection[str] | None, user_id: int | None, is_staff: bool, limit: int) -> Page | Resync:
    """The oldest ``limit`` events after ``after`` on ``channels`` (None: every channel) that the
    reader may see, filtered in SQL; or ``Resync`` when events after ``after`` were pruned or the
    log never handed ``after`` out.

    Only events up to the log's newest number when the read starts are read: every one of those
    is committed (numbering follows commit), so none can appear later below the returned cursor."""
    newest = selectors.last_seq()
    if after < 0 or after > newest:
        return Resync(newest)
    if after == newest:
        return Page([], newest, False)
    oldest_kept = Event.objects.filter(seq__isnull=False).aggregate(m=Min("seq"))["m"]
    if oldest_kept is None or after + 1 < oldest_kept:
        return Resync(newest)
    events = Event.objects.filter(seq__gt=after, seq__lte=newest)
    if channels is not None:
        events = events.filter(channel__in=list(channels))
    visible = events.filter(selectors.visible_to(user_id, is_staff)).order_by("seq")
    # seq is set on every row read: seq > after
    rows = cast("list[tuple[int, str]]", list(visible.values_list("seq", "body")[: limit + 1]))
    has_more = len(rows) > limit
    rows = rows[:limit]
    texts = [messages.frame(body, seq) for seq, body in rows]
    return Page(texts, rows[-1][0] if has_more else newest, has_more)
