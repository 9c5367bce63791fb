"""Writes to the event log: appending events inside the caller's transaction, and numbering
them after commit.

Why number after commit: ids handed out at insert time become visible out of order under
concurrent writers (a transaction holding id 41 may commit after one holding 42), so a client
resuming "after 42" would skip 41 for ever. Events are therefore inserted without a number;
after commit, ``sequence_pending()`` locks the counter row, numbers every committed event that
has none, and commits. Numbering transactions are serialised by the lock, so a client that has
seen number N can never later find a smaller number appear.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Case, Value, When

from realtime import messages
from realtime.models import Event, EventCounter


@dataclass(frozen=True, slots=True)
class Delivery:
    """A numbered event as the fan-out handles it: who may see it, and its encoded frame."""

    seq: int
    channel: str
    kind: str  # the client-facing type: realtime_update or notification
    record_id: str
    audience: frozenset[int]
    public: bool
    staff_visible: bool
    text: str
    created_at: float  # epoch seconds the event was made, in the committing transaction
    frame: bytes = field(init=False, repr=False, compare=False)  # ``text`` as a WebSocket frame

    def __post_init__(self) -> None:
        object.__setattr__(self, "frame", messages.websocket_frame(self.text))

    def visible_to(self, user_id: int | None, is_staff: bool) -> bool:
        if self.public:
            return True
        if is_staff and self.staff_visible:
            return True
        return user_id is not None and user_id in self.audience

    def to_wire(self) -> list:
        return [self.seq, self.channel, self.kind, self.record_id, list(self.audience), self.public,
                self.staff_visible, self.text, self.created_at]

    @classmethod
    def from_wire(cls, row: list) -> Delivery:
        seq, channel, kind, record_id, audience, public, staff_visible, text, created_at = row
        return cls(seq, channel, kind, record_id, frozenset(audience), public, staff_visible, text, created_at)

    @classmethod
    def from_event(cls, event: Event) -> Delivery:
        assert event.seq is not None
        return cls(
            seq=event.seq,
            channel=event.channel,
            kind=event.type,
            record_id=event.record_id,
            audience=frozenset(event.audience),
            public=event.public,
            staff_visible=event.staff_visible,
            text=messages.frame(event.body, event.seq),
            created_at=event.created_at.timestamp(),
        )


def append(
    *,
    channel: str,
    payload: dict,
    record_id: str = "",
    audience: Iterable[int] = (),
    public: bool = False,
    staff_visible: bool = True,
) -> Event:
    """Store an event in the current transaction; it is numbered and published after commit."""
    return Event.objects.create(
        channel=channel,
        type=payload["type"],
        record_id=record_id,
        audience=sorted({int(user_id) for user_id in audience}),
        public=public,
        staff_visible=staff_visible,
        body=messages.encode_body(payload),
    )


BATCH = 500


def sequence_pending() -> list[Delivery]:
    """Number every committed event that has no number yet, in insertion order, and return
    them ready to publish. Safe to call from any process at any time; callers that find
    nothing to do return at once."""
    if not Event.objects.filter(seq__isnull=True).exists():
        return []
    numbered: list[Delivery] = []
    while True:
        with transaction.atomic():
            counter, _ = EventCounter.objects.select_for_update().get_or_create(pk=1)
            pending = list(Event.objects.filter(seq__isnull=True).order_by("id")[:BATCH])
            if not pending:
                return numbered
            first = counter.last_seq + 1
            for offset, event in enumerate(pending):
                event.seq = first + offset
            Event.objects.filter(pk__in=[e.pk for e in pending]).update(
                seq=Case(*(When(pk=e.pk, then=Value(e.seq)) for e in pending))
            )
            counter.last_seq = first + len(pending) - 1
            counter.save(update_fields=["last_seq"])
        numbered.extend(Delivery.from_event(e) for e in pending)
        if len(pending) < BATCH:
            return numbered
