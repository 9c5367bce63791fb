"""The activity log: one ActivityLog row per create, update and delete of a PetLand record (of
the models ``petland.domain`` marks ``activity_logged``), written in the same transaction as the
change, however the change was made.

The actor is the user of the current request (``ActorMiddleware`` for the admin and session
views, ``acting_as`` in the API views and services); changes from a shell or a command have
none unless the caller says ``with acting_as(user):``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from django.db import models
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from petland.models import User

    # A user, or (the middleware's) a function giving the request's user once it is known.
    Actor = User | AnonymousUser | Callable[[], "User | AnonymousUser | None"] | None

_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("petland_actor", default=None)

# Per logged model, the fields whose saves alone are bookkeeping, not activity (``connect_signals``).
_bookkeeping: dict[type[models.Model], frozenset[str]] = {}


@contextmanager
def acting_as(user: Actor) -> Iterator[None]:
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> User | None:
    user = _actor.get()
    if callable(user) and not hasattr(user, "pk"):
        user = user()
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return cast("User", user)  # authenticated: a User (an AnonymousUser never is)


class ActorMiddleware:
    """Makes ``request.user`` the actor of changes made while handling the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting_as(lambda: getattr(request, "user", None)):
            return self.get_response(request)


def record_activity(instance: models.Model, action: str) -> None:
    from petland.models import ActivityLog

    actor = current_actor()
    ActivityLog.objects.create(
        actor=actor if actor is not None and actor.pk is not None else None,
        action=action,
        entity_type=str(instance._meta.verbose_name).replace(" ", "_"),
        entity_id=str(instance.pk),
        summary=f"{activity_title(instance)[:200]} {action}"[:255],
    )


def activity_title(instance: models.Model) -> str:
    """The record as the log names it, its kind said once: "Pet Luna (Perro)", "Payment #1
    (60.00)" (not "Payment Payment #1"), "Reservation #3 for Luna"."""
    kind = str(instance._meta.verbose_name)
    text = str(instance)
    return text if text.lower().startswith(kind.lower()) else f"{kind.capitalize()} {text}"


def _saved(
    sender: type[models.Model],
    instance: models.Model,
    created: bool,
    raw: bool = False,
    update_fields: Iterable[str] | None = None,
    **kwargs: Any,
) -> None:
    if not raw and not (update_fields and set(update_fields) <= _bookkeeping.get(sender, frozenset())):
        record_activity(instance, "created" if created else "updated")


def _deleted(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    record_activity(instance, "deleted")


def connect_signals(models_to_log: Mapping[type[models.Model], frozenset[str]]) -> None:
    """Logs every change of each model, except saves of only its bookkeeping fields."""
    _bookkeeping.update(models_to_log)
    for model in models_to_log:
        post_save.connect(_saved, sender=model, dispatch_uid=f"activity:{model._meta.label}:save")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"activity:{model._meta.label}:delete")
