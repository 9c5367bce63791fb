"""Ephemeral client messages relayed to the other participants of one record, on every server
process: a publication's ``Relay`` (a typing indicator). Not stored, not numbered, not resumed.

A socket sends ``{"type": <relay type>, <record key>: <id>}``; at most ``per_second`` a socket
and record are relayed (the rest are dropped), and each one asks ``participants`` whether its
sender still takes part in the record (staff always do), so that a user who can no longer see
the record is refused at once. The relayed message is encoded once and goes, through the channel
layer group the hubs listen on, to every process's sockets of the same channel whose user may
see the record (staff, and the participants), less the sender's own sockets and those narrowed
(``subscribe``) to other records. A socket busy with a backlog gets none: it is only a hint."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model

from realtime.conf import setting
from realtime.delivery import layer
from realtime.log import messages
from realtime.sockets.client_messages import InvalidMessage

if TYPE_CHECKING:
    from realtime.declaring.registry import Relay
    from realtime.delivery.hub import Hub
    from realtime.sockets.consumer import ChannelConsumer

logger = logging.getLogger(__name__)

LAYER_MESSAGE_TYPE = "realtime.relay"  # a relayed message on the channel layer; not client-facing
REMEMBERED_RECORDS = 256  # per socket: when each record was last relayed, for the rate


async def relay_message(socket: ChannelConsumer, message: dict[str, Any]) -> None:
    """The ``HANDLERS`` entry of every relay type declared in the publications table."""
    kind = message["type"]
    relay = socket.publication.relay if socket.publication is not None else None
    if relay is None or relay.message_type != kind:
        raise InvalidMessage(f"Unknown message type {kind!r} on {socket.channel}.")
    value = message.get(relay.record_key)
    if not _is_record_id(value):
        raise InvalidMessage(f'{kind} needs "{relay.record_key}", a record id.')
    if socket.user_id is None:
        raise InvalidMessage(f"Sign in to send {kind}.")
    record_id = str(value)
    if not _within_rate(socket, record_id, relay.per_second):
        return  # dropped: the one relayed a moment ago still stands
    participants, name = await database_sync_to_async(_participants_and_name)(relay, record_id, socket)
    audience = sorted(participants) if participants is not None else []
    if participants is None or not (socket.is_staff or socket.user_id in audience):
        refusal = f"You do not take part in {relay.record_key} {value}."
        await socket.send(messages.control("error", code="forbidden", message=refusal))
        return
    text = messages.control(kind, **{relay.record_key: value}, user_id=str(socket.user_id), name=name)
    relayed = {"channel": socket.channel, "record_id": record_id, "audience": audience, "sender": socket.user_id, "text": text}
    if layer.uses_shared_layer():
        try:
            wire = {"type": LAYER_MESSAGE_TYPE, "deployment": await layer.current_deployment_identity(), **relayed}
            channel_layer = get_channel_layer()
            assert channel_layer is not None  # a shared layer is configured
            await channel_layer.group_send(setting("GROUP"), wire)
            return
        except Exception:
            logger.warning("channel layer unreachable: %s relayed to this process's sockets only", kind)
    if socket.hub is not None:
        fan_out(socket.hub, relayed)


def fan_out(hub: Hub, relayed: dict[str, Any]) -> None:
    """A relayed message to this process's sockets that may see its record (the hub calls it for
    each one the layer brings)."""
    index = hub.channels.get(relayed["channel"])
    if index is None:
        return
    text, record_id, sender = relayed["text"], relayed["record_id"], relayed["sender"]
    frame = messages.websocket_frame(text)
    targets = set(index.staff)
    for user_id in relayed["audience"]:
        targets.update(index.by_user.get(user_id, ()))
    for sub in targets:
        if sub.user_id != sender:
            sub.relay(text, frame, record_id)


def _is_record_id(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return 0 <= value < 2**63
    return isinstance(value, str) and 0 < len(value) <= 64


def _within_rate(socket: ChannelConsumer, record_id: str, per_second: float) -> bool:
    now = time.monotonic()
    recent = socket.relayed_at
    if recent is None:
        recent = socket.relayed_at = {}
    last = recent.get(record_id)
    if last is not None and now - last < 1.0 / per_second:
        return False
    if len(recent) >= REMEMBERED_RECORDS:
        recent.clear()  # a socket typing in hundreds of conversations: start counting again
    recent[record_id] = now
    return True


def _participants_and_name(relay: Relay, record_id: str, socket: ChannelConsumer) -> tuple[Iterable[int] | None, str]:
    """In a thread: the record's participants, and the sender's name (read once per socket: a
    token socket's user is its id alone)."""
    participants = relay.participants(record_id)
    if socket.relay_name is None:
        user = get_user_model().objects.filter(pk=socket.user_id).first() if socket.user_id is not None else None
        short = getattr(user, "get_short_name", None)
        socket.relay_name = (short() if short is not None else "") or (user.get_username() if user is not None else "")
    return participants, socket.relay_name
