"""The table of publications: which model publishes on which channel, with which serializer,
to which audience. The project declares it (``settings.REALTIME["PUBLICATIONS"]``); everything
in this app is driven by it."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.db import models
from django.utils.module_loading import import_string
from rest_framework import serializers

from realtime.conf import setting


class Access(enum.Enum):
    """Who may open a channel's socket at all. Per-record visibility comes on top of it."""

    PUBLIC = "public"  # anyone, signed in or not; every event is visible to every subscriber
    AUTHENTICATED = "authenticated"  # signed-in users; customers see their own records, staff all
    STAFF = "staff"  # staff only


@dataclass(frozen=True)
class Notice:
    """A notification that a change sends to one user, on their ``users`` channel."""

    user_id: int
    notification_type: str
    data: Mapping[str, Any]
    replaces: str | None = None  # a key of data: an unread notification with the same value is updated


Audience = Callable[[Any], Iterable[int]]
Notify = Callable[[Any, str, Mapping[str, Any]], Iterable[Notice]]


def _no_notices(instance: Any, action: str, previous: Mapping[str, Any]) -> Iterable[Notice]:
    return ()


def _nobody(instance: Any) -> Iterable[int]:
    return ()


@dataclass(frozen=True)
class Relay:
    """A client message that a channel's sockets relay to the other participants of one record,
    on every server process: ephemeral (not stored, not resumed, dropped past ``per_second`` per
    socket and record), e.g. ``{"type": "typing", "conversation_id": 12}``.

    ``record_key`` names the message's field holding the record id (the events' record id of the
    channel). ``participants(record_id)`` returns the ids of the users besides staff who take part
    in the record, or None when there is no such record; it runs in a thread (it may query), on
    every relayed message, so that a user who may no longer see the record is refused at once.
    The relayed message is the client's ``type`` and record field, plus the sender's ``user_id``
    and ``name``."""

    message_type: str
    record_key: str
    participants: Callable[[str], Iterable[int] | None]
    per_second: float = 1.0


@dataclass(frozen=True)
class Publication:
    """One row of the table.

    ``entity`` names the record in the singular (``book``): it gives the id key of the data
    (``pet_id``) and the notification service's ``send_pet_update``. ``audience`` returns the
    ids of the users besides staff who may see an event about an instance; it is called once,
    when the event is made. ``track`` lists fields whose previous values ``notify`` receives.

    ``record_key`` names the data field that is the events' record id (what ``subscribe`` narrows
    on), when it is not the entity's own id (a message's events keyed by their conversation).
    ``actions`` are the event actions besides created/updated/deleted that the channel carries
    (``publish_event``). With ``signals`` False, saves and deletes publish nothing by themselves:
    the project's services call ``publish_change`` with the action they mean. ``relay`` declares
    a client message the channel's sockets relay (``Relay``).
    """

    channel: str
    entity: str
    model: type[models.Model]
    serializer: type[serializers.BaseSerializer[Any]]
    access: Access = Access.AUTHENTICATED
    audience: Audience = _nobody
    notify: Notify = _no_notices
    track: tuple[str, ...] = ()
    ignored_update_fields: frozenset[str] = field(default_factory=frozenset)
    record_key: str | None = None
    actions: tuple[str, ...] = ()
    signals: bool = True
    relay: Relay | None = None

    @property
    def id_key(self) -> str:
        return f"{self.entity}_id"

    @property
    def record_id_key(self) -> str:
        """The data field whose value is an event's record id."""
        return self.record_key or self.id_key

    def represent(self, instance: Any) -> dict[str, Any]:
        """The event data of ``instance``: what ``serializer(instance).data`` gives, from one
        serializer per publication whose fields are built once, not on every change."""
        # A serializer class is hashable (``cache`` keys on it); typeshed checks ``__hash__`` on its instances.
        data: dict[str, Any] = _representer(self.serializer).to_representation(instance)  # type: ignore[arg-type]
        return data


@cache
def _representer(serializer_class: type[serializers.BaseSerializer[Any]]) -> serializers.BaseSerializer[Any]:
    representer = serializer_class()
    getattr(representer, "fields", None)  # build (and bind) the fields now, in one thread
    return representer


class Registry:
    def __init__(self, publications: Iterable[Publication]):
        self.publications = list(publications)
        self.by_channel = {p.channel: p for p in self.publications}
        self.by_model = {p.model: p for p in self.publications}
        self.by_entity = {p.entity: p for p in self.publications}
        if len(self.by_channel) != len(self.publications) or len(self.by_model) != len(self.publications):
            raise ValueError("Each channel and each model may appear once in REALTIME['PUBLICATIONS']")

    def for_model(self, model: type[models.Model]) -> Publication | None:
        return self.by_model.get(model)

    def for_channel(self, channel: str) -> Publication | None:
        return self.by_channel.get(channel)


@cache
def registry() -> Registry:
    path = setting("PUBLICATIONS")
    return Registry(import_string(path) if path else [])
