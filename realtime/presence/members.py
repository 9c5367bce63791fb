"""Members of a topic and the frames that tell sockets about them.

An *entry* is one user's presence on a topic as one server process holds it (all of that
user's sockets there merged); a *member* is a user, all of their entries merged: editing wins
over viewing, and ``since`` is the earliest arrival."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypedDict

import orjson

State = Literal["viewing", "editing"]
STATES: tuple[State, ...] = ("viewing", "editing")
MAX_LISTED = 100  # members a presence_state lists; "count" gives the total


class Member(TypedDict):
    user_id: str
    name: str
    is_staff: bool
    state: State
    since: str  # ISO 8601, UTC


@dataclass(frozen=True, slots=True)
class Entry:
    """One user's presence on a topic from one process, valid until ``until`` (epoch seconds)."""

    user_id: str
    name: str
    is_staff: bool
    state: State
    since: float  # epoch seconds of the user's first arrival
    until: float

    def to_json(self) -> bytes:
        return orjson.dumps([self.user_id, self.name, self.is_staff, self.state, self.since, self.until])

    @classmethod
    def from_json(cls, raw: bytes | str) -> Entry | None:
        """The entry, or None for what is not one (a foreign or damaged field)."""
        try:
            user_id, name, is_staff, state, since, until = orjson.loads(raw)
        except (orjson.JSONDecodeError, TypeError, ValueError):
            return None
        if state not in STATES:
            return None
        return cls(str(user_id), str(name), bool(is_staff), state, float(since), float(until))


def stronger(a: State, b: State) -> State:
    return "editing" if "editing" in (a, b) else "viewing"


def merge(entries: Iterable[Entry]) -> dict[str, Entry]:
    """One entry per user: the strongest state and the earliest arrival of theirs."""
    merged: dict[str, Entry] = {}
    for entry in entries:
        seen = merged.get(entry.user_id)
        if seen is None:
            merged[entry.user_id] = entry
        else:
            merged[entry.user_id] = Entry(
                entry.user_id,
                seen.name,
                seen.is_staff or entry.is_staff,
                stronger(seen.state, entry.state),
                min(seen.since, entry.since),
                max(seen.until, entry.until),
            )
    return merged


def as_member(entry: Entry) -> Member:
    since = datetime.fromtimestamp(entry.since, UTC).isoformat()
    return {"user_id": entry.user_id, "name": entry.name, "is_staff": entry.is_staff, "state": entry.state, "since": since}


def changes(before: dict[str, Entry], after: dict[str, Entry]) -> tuple[list[Member], list[str]]:
    """``joins`` (members who arrived or whose state changed) and ``leaves`` (user ids gone).
    Only what a client shows counts: a later ``since`` or ``until`` alone is no change."""
    joins = [as_member(entry) for user_id, entry in after.items() if shown_differently(before.get(user_id), entry)]
    leaves = sorted(user_id for user_id in before if user_id not in after)
    return joins, leaves


def shown_differently(seen: Entry | None, entry: Entry) -> bool:
    return seen is None or (seen.state, seen.name, seen.is_staff) != (entry.state, entry.name, entry.is_staff)


def listed(members: dict[str, Entry]) -> list[Member]:
    """The first ``MAX_LISTED`` members: editors first, then by arrival."""
    ordered = sorted(members.values(), key=lambda e: (e.state != "editing", e.since, e.user_id))
    return [as_member(entry) for entry in ordered[:MAX_LISTED]]


def wire_id(record_id: str) -> int | str:
    """A record id as frames show it: a number when it is one, as clients send it."""
    return int(record_id) if record_id.isascii() and record_id.isdigit() and int(record_id) < 2**63 else record_id


def state_frame(channel: str, record_id: str, members: dict[str, Entry]) -> str:
    return orjson.dumps(
        {
            "type": "presence_state",
            "channel": channel,
            "record_id": wire_id(record_id),
            "members": listed(members),
            "count": len(members),
        }
    ).decode()


def diff_frame(channel: str, record_id: str, joins: list[Member], leaves: list[str], count: int) -> str:
    return orjson.dumps(
        {
            "type": "presence_diff",
            "channel": channel,
            "record_id": wire_id(record_id),
            "joins": joins,
            "leaves": leaves,
            "count": count,
        }
    ).decode()
