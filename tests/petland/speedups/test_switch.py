"""One switch, ``REALTIME_SPEEDUPS``, read once in the settings: on by default; off, the
project is configured with public APIs only (Django's SQLite backend, simplejwt's
authentication) and tells realtime so (``REALTIME["SPEEDUPS"]``)."""

from __future__ import annotations

import json

from tests.petland.test_settings import run

PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "SPEEDUPS": settings.SPEEDUPS,
    "REALTIME": settings.REALTIME["SPEEDUPS"],
    "ENGINE": settings.DATABASES["default"]["ENGINE"],
    "POOL": settings.DATABASES["default"].get("OPTIONS", {}).get("pool"),
    "JWT": settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"][0],
}))
"""


def configured(**variables: str) -> dict:
    result = run(["-c", PROBE], DJANGO_DEBUG="1", **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_speedups_are_on_by_default_for_the_project_and_realtime():
    assert configured() == {
        "SPEEDUPS": True,
        "REALTIME": True,
        "ENGINE": "petland.speedups.sqlite3",
        "POOL": {"max_size": 10},
        "JWT": "petland.speedups.simplejwt.JWTAuthentication",
    }


def test_off_the_project_uses_djangos_backend_and_simplejwts_user_lookup():
    assert configured(REALTIME_SPEEDUPS="0") == {
        "SPEEDUPS": False,
        "REALTIME": False,
        "ENGINE": "django.db.backends.sqlite3",
        "POOL": None,
        "JWT": "petland.api.authentication.JWTAuthentication",
    }


def test_a_value_that_is_no_boolean_stops_the_start():
    result = run(["-c", PROBE], DJANGO_DEBUG="1", REALTIME_SPEEDUPS="fast")
    assert result.returncode != 0
    assert "REALTIME_SPEEDUPS='fast' is not a boolean" in result.stderr


def test_off_the_asgi_application_serves_http_through_djangos_own_handler():
    code = "import petland.asgi as a, django.core.handlers.asgi as d; print(type(a.django_asgi_app).__module__)"
    on = run(["-c", code], DJANGO_DEBUG="1")
    off = run(["-c", code], DJANGO_DEBUG="1", REALTIME_SPEEDUPS="0")
    assert on.returncode == 0 and off.returncode == 0, on.stderr + off.stderr
    assert on.stdout.split()[-1] == "petland.speedups.django_handler"
    assert off.stdout.split()[-1] == "django.core.handlers.asgi"
