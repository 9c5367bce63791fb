"""The project's speed-ups that rest on other libraries' private or undocumented internals, one
module per library, all on or off with ``REALTIME_SPEEDUPS`` (``settings.SPEEDUPS``; realtime's
own are ``realtime/speedups/``). Off, the project runs on public APIs only: Django's own ASGI
handler and SQLite backend, ORM lookups, DRF's own fields, simplejwt's own authentication.

Where each is applied: the handler and daphne's form parsing in ``petland/asgi.py``; the SQLite
backend and the JWT authentication class in ``petland/settings.py``; the prebuilt row reads
(``rows``) and the serializer field cache (``drf``) where they are used, asking ``enabled()``:
``petland/db/fields.py`` and ``petland/api/serializers.py``.

- ``django_handler``: Django's ASGI handler with a request's sync work in two thread hops;
- ``daphne``: Twisted's form parsing skipped for daphne's HTTP requests;
- ``sqlite3``: Django's SQLite backend with a pool of connections;
- ``rows``: rows read by primary key with statements built once (Django's ORM internals);
- ``drf``: a serializer's fields built once per class;
- ``simplejwt``: the token's user read with ``rows.get``.
"""

from __future__ import annotations

from django.conf import settings


def enabled() -> bool:
    """Whether the speed-ups are on (``settings.SPEEDUPS``, from ``REALTIME_SPEEDUPS``)."""
    return bool(getattr(settings, "SPEEDUPS", True))
