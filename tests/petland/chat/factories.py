"""Factories of conversations: a message saved through the ORM (no event: the chat services
publish), as a row already in the history."""

from __future__ import annotations

import factory

from petland import models
from tests.factories import ReservationFactory


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Message

    reservation = factory.SubFactory(ReservationFactory)
    author = factory.LazyAttribute(lambda m: m.reservation.user)
    body = factory.Sequence(lambda n: f"Message {n}")
