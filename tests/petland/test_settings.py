"""Settings come from the environment, and bad or missing values stop the process at start.

Each case imports ``petland.settings`` in a fresh interpreter, with only the variables it sets
(none of the test run's own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SECRET_KEY": "q7Xb-2vLr9T_fKp0wZ8nJc4sYh6mAe1GdUo3iRtV5xBqNlSjWkCzEyHgFaMuPvD",
    "DJANGO_DEBUG": "0",
    "DJANGO_ALLOWED_HOSTS": "petland.example",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "ENGINE": settings.DATABASES["default"]["ENGINE"],
    "DB_NAME": str(settings.DATABASES["default"]["NAME"]),
    "DB_OPTIONS": settings.DATABASES["default"].get("OPTIONS", {}),
    "CONN_MAX_AGE": settings.DATABASES["default"]["CONN_MAX_AGE"],
    "CONN_HEALTH_CHECKS": settings.DATABASES["default"]["CONN_HEALTH_CHECKS"],
    "LAYER": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "LAYER_HOSTS": settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts"),
}))
"""
OWN_PREFIXES = ("DJANGO_", "DATABASE_", "REDIS_", "REALTIME_", "JWT_")


def run(args: list[str], **variables: str) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if not name.startswith(OWN_PREFIXES)}
    env.update(DJANGO_SETTINGS_MODULE="petland.settings", **variables)
    return subprocess.run([sys.executable, *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60)


def settings_with(**variables: str) -> dict:
    result = run(["-c", PROBE], **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def refusal_with(**variables: str) -> str:
    result = run(["-c", PROBE], **variables)
    assert result.returncode != 0, result.stdout
    return result.stderr.strip().splitlines()[-1]


def test_without_a_secret_key_and_debug_off_it_refuses_to_start():
    message = refusal_with(DJANGO_DEBUG="0")

    assert message.startswith("django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY is not set")


def test_debug_is_off_unless_asked_for():
    assert "DJANGO_SECRET_KEY is not set" in refusal_with()
    assert settings_with(DJANGO_SECRET_KEY=PRODUCTION["DJANGO_SECRET_KEY"])["DEBUG"] is False


def test_with_debug_on_a_development_key_is_used():
    settings = settings_with(DJANGO_DEBUG="1")

    assert settings["DEBUG"] is True
    assert settings["SECRET_KEY"].startswith("django-insecure-")


def test_the_secret_key_comes_from_the_environment():
    assert settings_with(**PRODUCTION)["SECRET_KEY"] == PRODUCTION["DJANGO_SECRET_KEY"]


@pytest.mark.parametrize("value", ["maybe", "2", "enabled"])
def test_a_boolean_that_is_not_one_is_refused(value):
    message = refusal_with(DJANGO_DEBUG=value)

    assert "ImproperlyConfigured" in message
    assert "DJANGO_DEBUG" in message and value in message


def test_allowed_hosts_is_a_comma_separated_list():
    assert settings_with(DJANGO_DEBUG="1", DJANGO_ALLOWED_HOSTS="petland.example, api.petland.example")[
        "ALLOWED_HOSTS"] == ["petland.example", "api.petland.example"]


def test_the_default_database_is_a_sqlite_file_in_the_project_folder():
    settings = settings_with(DJANGO_DEBUG="1")

    assert settings["ENGINE"] == "petland.db.sqlite3"  # Django's, with a pool of connections
    assert Path(settings["DB_NAME"]).parent == PROJECT
    assert settings["DB_OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in settings["DB_OPTIONS"]["init_command"]


def test_a_postgres_database_url_selects_postgresql():
    settings = settings_with(DJANGO_DEBUG="1", DATABASE_URL="postgres://petland:secret@db.internal:5432/petland")

    assert settings["ENGINE"] == "django.db.backends.postgresql"
    assert settings["DB_NAME"] == "petland"


POSTGRES = "postgres://petland:secret@db.internal:5432/petland"


def test_connections_are_pooled_by_default():
    assert settings_with(DJANGO_DEBUG="1", DATABASE_URL=POSTGRES)["DB_OPTIONS"]["pool"] == {
        "min_size": 2, "max_size": 10, "timeout": 10.0}
    assert settings_with(DJANGO_DEBUG="1")["DB_OPTIONS"]["pool"] == {"max_size": 10}


def test_the_pool_is_sized_from_the_environment():
    sized = {"DATABASE_POOL_MIN_SIZE": "1", "DATABASE_POOL_MAX_SIZE": "4", "DATABASE_POOL_TIMEOUT": "2.5"}

    assert settings_with(DJANGO_DEBUG="1", DATABASE_URL=POSTGRES, **sized)["DB_OPTIONS"]["pool"] == {
        "min_size": 1, "max_size": 4, "timeout": 2.5}
    assert settings_with(DJANGO_DEBUG="1", **sized)["DB_OPTIONS"]["pool"] == {"max_size": 4}


def test_pooled_connections_are_checked_before_use_only_when_asked():
    assert settings_with(DJANGO_DEBUG="1", DATABASE_URL=POSTGRES)["CONN_HEALTH_CHECKS"] is False
    assert settings_with(DJANGO_DEBUG="1", DATABASE_URL=POSTGRES, DATABASE_CONN_HEALTH_CHECKS="1")["CONN_HEALTH_CHECKS"] is True


def test_without_the_pool_connections_may_persist_per_thread():
    settings = settings_with(DJANGO_DEBUG="1", DATABASE_URL=POSTGRES, DATABASE_POOL="0", DATABASE_CONN_MAX_AGE="60")

    assert "pool" not in settings["DB_OPTIONS"] and settings["CONN_MAX_AGE"] == 60
    assert "pool" not in settings_with(DJANGO_DEBUG="1", DATABASE_POOL="0")["DB_OPTIONS"]


@pytest.mark.parametrize("variables, complaint", [
    ({"DATABASE_CONN_MAX_AGE": "60"}, "DATABASE_CONN_MAX_AGE and DATABASE_POOL cannot both be on"),
    ({"DATABASE_POOL_MIN_SIZE": "5", "DATABASE_POOL_MAX_SIZE": "4"}, "DATABASE_POOL_MIN_SIZE=5 is more than"),
    ({"DATABASE_POOL_MAX_SIZE": "0"}, "DATABASE_POOL_MAX_SIZE=0 must be at least 1"),
    ({"DATABASE_POOL": "sometimes"}, "DATABASE_POOL='sometimes' is not a boolean"),
])
def test_bad_pool_settings_are_refused(variables, complaint):
    message = refusal_with(DJANGO_DEBUG="1", **variables)

    assert "ImproperlyConfigured" in message and complaint in message


def test_without_redis_the_channel_layer_is_in_memory():
    assert settings_with(DJANGO_DEBUG="1")["LAYER"] == "channels.layers.InMemoryChannelLayer"


def test_redis_url_selects_the_redis_channel_layer():
    settings = settings_with(DJANGO_DEBUG="1", REDIS_URL="redis://127.0.0.1:6379/0")

    assert settings["LAYER"].startswith("channels_redis.")
    assert settings["LAYER_HOSTS"] == ["redis://127.0.0.1:6379/0"]


def test_the_deploy_check_is_clean_with_production_settings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_warns_that_without_redis_other_processes_are_not_heard():
    production_without_redis = {name: value for name, value in PRODUCTION.items() if name != "REDIS_URL"}

    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **production_without_redis)

    assert result.returncode != 0
    assert "realtime.W001" in result.stdout + result.stderr
