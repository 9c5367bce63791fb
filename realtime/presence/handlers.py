"""The presence client messages (``presence_join``, ``presence_update``, ``presence_leave``,
``presence_watch``), as entries of the socket's ``HANDLERS`` table: checked, authorised (in
the database threads, never on the loop), then handed to the hub's presence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from channels.db import database_sync_to_async

from realtime.log import messages
from realtime.presence.access import join_check
from realtime.presence.members import STATES, State, wire_id
from realtime.presence.process import Presence
from realtime.sockets.client_messages import InvalidMessage

if TYPE_CHECKING:
    from realtime.sockets.consumer import ChannelConsumer

MAX_WATCHED = 100


def record_id_of(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return str(value)
    if isinstance(value, str) and 0 < len(value) <= 64:
        return value
    raise InvalidMessage('"record_id" must be a record id: an integer or a short string.')


def state_of(message: dict[str, Any]) -> State:
    state = message.get("state", "viewing")
    if state not in STATES:
        raise InvalidMessage('"state" must be "viewing" or "editing".')
    return cast(State, state)


def presence_of(sock: ChannelConsumer) -> Presence:
    hub = sock.hub
    if hub is None:
        raise InvalidMessage("This socket is closing.")
    return hub.presence


async def refused(sock: ChannelConsumer, why: str, **named: Any) -> None:
    await sock.send(messages.control("error", code="forbidden", message=why, **named))


async def allowed(sock: ChannelConsumer, record_ids: list[str]) -> set[str]:
    if sock.user_id is None:
        return set()
    visible: set[str]
    name: str
    visible, name = await database_sync_to_async(join_check)(
        sock.channel, user_id=sock.user_id, is_staff=sock.is_staff, record_ids=record_ids, with_name=not sock.display_name
    )
    if name:
        sock.display_name = name  # read once per socket
    return visible


async def on_join(sock: ChannelConsumer, message: dict[str, Any]) -> None:
    record_id, state = record_id_of(message.get("record_id")), state_of(message)
    presence = presence_of(sock)
    presence.can_join(sock, record_id)
    if record_id not in await allowed(sock, [record_id]):
        await refused(sock, f"You may not see record {record_id} of {sock.channel}.", record_id=wire_id(record_id))
        return
    await presence.join(sock, record_id, state)


async def on_update(sock: ChannelConsumer, message: dict[str, Any]) -> None:
    presence_of(sock).update(sock, record_id_of(message.get("record_id")), state_of(message))


async def on_leave(sock: ChannelConsumer, message: dict[str, Any]) -> None:
    presence_of(sock).leave(sock, record_id_of(message.get("record_id")))


async def on_watch(sock: ChannelConsumer, message: dict[str, Any]) -> None:
    ids = message.get("record_ids")
    if not isinstance(ids, list) or len(ids) > MAX_WATCHED:
        raise InvalidMessage(f'"record_ids" must be a list of at most {MAX_WATCHED} record ids.')
    record_ids = list(dict.fromkeys(record_id_of(value) for value in ids))
    presence = presence_of(sock)
    if record_ids:
        visible = await allowed(sock, record_ids)
        hidden = [record_id for record_id in record_ids if record_id not in visible]
        if hidden:
            why = f"You may not see these records of {sock.channel}; nothing was watched."
            await refused(sock, why, record_ids=[wire_id(record_id) for record_id in hidden])
            return
    await presence.watch(sock, record_ids)


async def recheck(sock: ChannelConsumer, presence: Presence) -> None:
    """The user's rights changed: leave the topics of records they may no longer see."""
    keys = presence.topics_of(sock)
    if not keys:
        return
    visible = await allowed(sock, [record_id for _, record_id in keys])
    presence.drop(sock, [key for key in keys if key[1] not in visible])
