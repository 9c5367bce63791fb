"""The one table of what PetLand publishes in real time: for each model, its channel (the
``ws/<channel>/`` route), the serializer of its event data, who may open the channel, and
which customers besides staff see an event about a record. ``realtime`` does the rest."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from petland import event_serializers as s
from petland import models as m
from petland import notices
from realtime.declaring.registry import Access, Publication


def _owner(instance: Any) -> Iterable[int]:
    return [instance.user_id]


PUBLICATIONS = [
    Publication("users", "user", m.User, s.UserEventSerializer, audience=lambda user: [user.pk],
                ignored_update_fields=frozenset({"last_login"})),
    Publication("pets", "pet", m.Pet, s.PetEventSerializer, audience=lambda pet: [pet.owner_id],
                notify=notices.pet),
    Publication("reservations", "reservation", m.Reservation, s.ReservationEventSerializer, audience=_owner,
                notify=notices.reservation, track=("status",)),
    Publication("payments", "payment", m.Payment, s.PaymentEventSerializer, audience=_owner,
                notify=notices.payment, track=("status",)),
    Publication("invoices", "invoice", m.Invoice, s.InvoiceEventSerializer, audience=_owner,
                notify=notices.invoice, track=("status",)),
    Publication("medical_history", "medical_record", m.MedicalRecord, s.MedicalRecordEventSerializer,
                audience=lambda record: [record.pet.owner_id], notify=notices.medical_record),
    Publication("services", "service", m.Service, s.ServiceEventSerializer, access=Access.PUBLIC),
    Publication("employees", "employee", m.Employee, s.EmployeeEventSerializer, access=Access.STAFF),
    Publication("activity_logs", "activity_log", m.ActivityLog, s.ActivityLogEventSerializer, access=Access.STAFF),
]

