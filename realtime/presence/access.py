"""Who may join or watch a record's presence: a signed-in user who may open the channel and is
staff or in the record's audience (as its events would be shown to them). A record that does
not exist is refused like one the user may not see. Sync: call it through
``database_sync_to_async``."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from realtime.declaring.registry import Access, registry


def visible_record_ids(channel: str, *, user_id: int | None, is_staff: bool, record_ids: Iterable[str]) -> set[str]:
    """Those of ``record_ids`` the user may see on ``channel``."""
    publication = registry().for_channel(channel)
    if publication is None or user_id is None or (publication.access is Access.STAFF and not is_staff):
        return set()
    if publication.record_key is not None and publication.relay is not None:
        # Records keyed by another model's id (a conversation, by the record it is about): who takes
        # part in one is the relay's ``participants``.
        taking_part = {record_id: publication.relay.participants(record_id) for record_id in record_ids}
        return {r for r, ids in taking_part.items() if ids is not None and (is_staff or user_id in set(ids))}
    pk_field = publication.model._meta.pk
    wanted: dict[str, object] = {}
    for record_id in record_ids:
        try:
            wanted[record_id] = pk_field.to_python(record_id)
        except (ValidationError, ValueError, TypeError):
            continue  # not an id this model can have: no such record
    if not wanted:
        return set()
    rows = publication.model._default_manager.filter(pk__in=list(wanted.values()))
    everyone = is_staff or publication.access is Access.PUBLIC
    seen = {str(row.pk) for row in rows if everyone or user_id in set(publication.audience(row))}
    return {record_id for record_id in wanted if record_id in seen}


def display_name(user_id: int) -> str:
    """The name presence shows for a user: their full name, else their username."""
    user = get_user_model()._default_manager.filter(pk=user_id).order_by().first()
    if user is None:
        return ""
    full_name = getattr(user, "get_full_name", None)  # AbstractUser has one; a custom user may not
    return (full_name() if full_name is not None else "") or user.get_username()


def join_check(
    channel: str, *, user_id: int | None, is_staff: bool, record_ids: list[str], with_name: bool
) -> tuple[set[str], str]:
    """``visible_record_ids`` and, when asked, the user's ``display_name``: one hop to the database threads."""
    visible = visible_record_ids(channel, user_id=user_id, is_staff=is_staff, record_ids=record_ids)
    return visible, display_name(user_id) if with_name and visible and user_id is not None else ""
