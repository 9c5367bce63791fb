"""Template tags that make pages live: ``{% load realtime %}``.

``realtime_channel`` names the channel a model publishes on; the ``realtime_admin_*`` tags
render what the live admin needs (a project's admin templates use them), and
``realtime_feed`` a list of a channel's recent events that grows as new ones arrive.
Everything they hand to the browser travels in data attributes or ``json_script``, and the
scripts show it with ``textContent``.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db import models

from realtime.log import selectors
from realtime.declaring.registry import Publication, registry

register = template.Library()


def _publication(model_or_opts: Any) -> Publication | None:
    """The publication of a model class, an instance, or a model's ``_meta`` (the admin's ``opts``)."""
    model = getattr(model_or_opts, "model", model_or_opts)
    if isinstance(model, models.Model):
        model = type(model)
    if not isinstance(model, type):
        return None
    return registry().for_model(model)


@register.simple_tag
def realtime_channel(model_or_opts: Any) -> str:
    """The channel a model publishes on, or ``""`` when it publishes nothing."""
    publication = _publication(model_or_opts)
    return publication.channel if publication is not None else ""


@register.inclusion_tag("realtime/admin/changelist_live.html")
def realtime_admin_changelist(opts: Any) -> dict[str, Any]:
    """Keeps an admin changelist current: rows appear, change and disappear as others edit."""
    publication = _publication(opts)
    return {
        "publication": publication,
        "last_event_id": selectors.last_seq() if publication else None,
        "verbose_name_plural": getattr(opts, "verbose_name_plural", ""),
    }


@register.inclusion_tag("realtime/admin/changeform_live.html")
def realtime_admin_changeform(opts: Any, original: Any) -> dict[str, Any]:
    """Tells the staff member on a change form when someone else changes or deletes the record,
    and who else has it open or is editing it (presence)."""
    publication = _publication(opts)
    has_record = original is not None and getattr(original, "pk", None) is not None
    return {
        "publication": publication if has_record else None,
        "object_id": str(original.pk) if has_record else "",
        "last_event_id": selectors.last_seq() if publication and has_record else None,
        "verbose_name": getattr(opts, "verbose_name", ""),
        "form_id": f"{getattr(opts, 'model_name', '')}_form",  # the admin's change form, for presence
    }


@register.inclusion_tag("realtime/feed.html", takes_context=True)
def realtime_feed(
    context: template.Context,
    channel: str,
    title: str = "Live activity",
    text_field: str = "",
    limit: int = 10,
    action_field: str = "",
    kind_field: str = "",
) -> dict[str, Any]:
    """The newest ``limit`` events of ``channel`` that the page's user may see, then every
    new one as it happens (newest first). ``text_field`` names the field of an event's data
    to show (e.g. ``summary``); without it a line says what happened to which record.
    On a channel of events about other records (an activity log, whose rows are only ever
    created), ``action_field`` and ``kind_field`` name the data fields that say what happened
    to which kind of record, shown instead of the event's own action and entity type."""
    user = context.get("user")
    is_staff = bool(user is not None and user.is_authenticated and user.is_staff)
    user_id = user.pk if user is not None and user.is_authenticated else None
    upto = selectors.last_seq()  # read first: the socket resumes after it, so nothing falls between
    return {
        "channel": channel,
        "known": registry().for_channel(channel) is not None,
        "title": title,
        "text_field": text_field,
        "limit": limit,
        "action_field": action_field,
        "kind_field": kind_field,
        "last_event_id": upto,
        "initial": _recent_events(channel, upto=upto, limit=limit, user_id=user_id, is_staff=is_staff),
        "script_id": f"realtime-feed-{channel}",
    }


def _recent_events(channel: str, *, upto: int, limit: int, user_id: int | None, is_staff: bool) -> list[dict[str, Any]]:
    return selectors.recent_messages(channel, upto=upto, limit=limit, user_id=user_id, is_staff=is_staff)
