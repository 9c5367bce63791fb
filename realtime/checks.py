"""System checks: shown by runserver at start and by ``manage.py check``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from django.core import checks

from realtime.delivery.layer import uses_shared_layer

if TYPE_CHECKING:
    from rest_framework import serializers


@checks.register()
def shared_channel_layer(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if uses_shared_layer():
        return []
    return [
        checks.Warning(
            "The channel layer is Channels' in-memory layer (REDIS_URL is not set).",
            hint="Updates made in other processes (a shell, a management command, another server) "
            "reach this server's sockets only through its once-a-second log poll, not instantly. "
            "Set REDIS_URL for production.",
            id="realtime.W001",
        )
    ]


MIN_SQLITE = (3, 35)  # the event log's numbering uses UPDATE ... FROM ... RETURNING


@checks.register(checks.Tags.database)
def sqlite_version(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    import sqlite3

    from django.db import connections

    uses_sqlite = any(connections[alias].vendor == "sqlite" for alias in (databases or ()))
    if not uses_sqlite or sqlite3.sqlite_version_info >= MIN_SQLITE:
        return []
    return [
        checks.Error(
            f"SQLite {sqlite3.sqlite_version} is too old for the event log (it needs {'.'.join(map(str, MIN_SQLITE))} or later).",
            hint="Use a Python built with a newer SQLite, or PostgreSQL (DATABASE_URL).",
            id="realtime.E001",
        )
    ]


@checks.register()
def publications_emit_their_ids(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every publication's serializer must emit ``<entity>_id`` (and its ``record_key``):
    subscriptions, the live admin and clients find a record's events by it."""
    from realtime.declaring.registry import registry

    errors: list[checks.CheckMessage] = []
    for publication in registry().publications:
        fields: Mapping[str, Any]
        try:
            # A serializer without ``fields`` raises AttributeError here: reported below, as a failed build.
            fields = cast("serializers.Serializer[Any]", publication.serializer()).fields
        except Exception as error:  # a serializer that cannot even be built: say so, as loudly
            fields, problem = {}, f" (building it failed: {error!r})"
        else:
            problem = ""
        missing = [key for key in dict.fromkeys((publication.id_key, publication.record_id_key)) if key not in fields]
        for key in missing:
            errors.append(
                checks.Error(
                    f"The serializer of the {publication.channel!r} publication, {publication.serializer.__name__}, "
                    f"emits no {key!r}{problem}.",
                    hint=f'Add a field {key!r} (e.g. serializers.IntegerField(source="pk")) to it.',
                    obj=publication.serializer,
                    id="realtime.E002",
                )
            )
    return errors
