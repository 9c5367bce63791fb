"""The one table of what PetLand publishes in real time: for each model, its channel (the
``ws/<channel>/`` route), the serializer of its event data, its notifications and tracked fields.
Who may open the channel and which customers besides staff see an event about a record are the
domain's (``petland.domain``: the read level and the owner path). ``realtime`` does the rest."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers

from petland import domain
from petland import event_serializers as s
from petland import models as m
from petland import notices
from petland.chat import notices as chat_notices
from petland.chat import selectors as chat_selectors
from realtime import Access, Publication, Relay

# A channel is opened by whoever may read the model's records; a customer then sees the events
# of their own records only (the audience).
ACCESS: dict[domain.Level, Access] = {
    domain.Level.PUBLIC: Access.PUBLIC,
    domain.Level.CUSTOMER: Access.AUTHENTICATED,
    domain.Level.STAFF: Access.STAFF,
}


def publication(
    channel: str, entity: str, model: type[models.Model], serializer: type[serializers.BaseSerializer], **rules: Any
) -> Publication:
    """A row of the table, its access, audience and ignored fields taken from the domain."""
    declared = domain.record(model)
    return Publication(
        channel,
        entity,
        model,
        serializer,
        access=ACCESS[declared.read],
        audience=declared.owner_ids,
        ignored_update_fields=declared.bookkeeping,
        **rules,
    )


PUBLICATIONS = [
    publication("users", "user", m.User, s.UserEventSerializer),
    publication("pets", "pet", m.Pet, s.PetEventSerializer, notify=notices.pet),
    publication(
        "reservations", "reservation", m.Reservation, s.ReservationEventSerializer, notify=notices.reservation, track=("status",)
    ),
    publication("payments", "payment", m.Payment, s.PaymentEventSerializer, notify=notices.payment, track=("status",)),
    publication("invoices", "invoice", m.Invoice, s.InvoiceEventSerializer, notify=notices.invoice, track=("status",)),
    publication(
        "medical_history", "medical_record", m.MedicalRecord, s.MedicalRecordEventSerializer, notify=notices.medical_record
    ),
    publication("services", "service", m.Service, s.ServiceEventSerializer),
    publication("employees", "employee", m.Employee, s.EmployeeEventSerializer),
    publication("activity_logs", "activity_log", m.ActivityLog, s.ActivityLogEventSerializer),
    # A reservation's conversation: its events are keyed by the reservation (``subscribe`` with
    # reservation ids narrows to those conversations); the chat services publish them (a deleted
    # message is a save), and a read marker moving is an event of its own. Typing is relayed.
    publication(
        "chat",
        "message",
        m.Message,
        s.MessageEventSerializer,
        notify=chat_notices.chat_message,
        record_key="reservation_id",
        actions=("read",),
        signals=False,
        relay=Relay("typing", "reservation_id", chat_selectors.participant_ids),
    ),
]
