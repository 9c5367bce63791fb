"""Settings come from the environment, and bad or missing values stop the process at start.

Each case imports ``petland.settings`` in a fresh interpreter, with only the variables it sets
(none of the test run's own, and no ``.env`` unless it names one)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from petland.env import redis_answers

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
LOCAL_REDIS = "redis://127.0.0.1:6379/0"
OWN_PREFIXES = ("DJANGO_", "DATABASE_", "REDIS_", "REALTIME_", "JWT_")


def run(args: list[str], **variables: str) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if not name.startswith(OWN_PREFIXES)}
    env.update({"DJANGO_SETTINGS_MODULE": "petland.settings", "DJANGO_ENV_FILE": "", **variables})
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
    assert settings_with(DJANGO_DEBUG="1", DJANGO_ALLOWED_HOSTS="petland.example, api.petland.example")["ALLOWED_HOSTS"] == [
        "petland.example",
        "api.petland.example",
    ]


def test_the_default_database_is_a_sqlite_file_in_the_project_folder():
    settings = settings_with(DJANGO_DEBUG="1")

    assert settings["ENGINE"] == "petland.speedups.sqlite3"  # Django's, with a pool of connections
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
        "min_size": 2,
        "max_size": 10,
        "timeout": 10.0,
    }
    assert settings_with(DJANGO_DEBUG="1")["DB_OPTIONS"]["pool"] == {"max_size": 10}


def test_the_pool_is_sized_from_the_environment():
    sized = {"DATABASE_POOL_MIN_SIZE": "1", "DATABASE_POOL_MAX_SIZE": "4", "DATABASE_POOL_TIMEOUT": "2.5"}

    assert settings_with(DJANGO_DEBUG="1", DATABASE_URL=POSTGRES, **sized)["DB_OPTIONS"]["pool"] == {
        "min_size": 1,
        "max_size": 4,
        "timeout": 2.5,
    }
    assert settings_with(DJANGO_DEBUG="1", **sized)["DB_OPTIONS"]["pool"] == {"max_size": 4}


def test_pooled_connections_are_checked_before_use_only_when_asked():
    assert settings_with(DJANGO_DEBUG="1", DATABASE_URL=POSTGRES)["CONN_HEALTH_CHECKS"] is False
    assert settings_with(DJANGO_DEBUG="1", DATABASE_URL=POSTGRES, DATABASE_CONN_HEALTH_CHECKS="1")["CONN_HEALTH_CHECKS"] is True


def test_without_the_pool_connections_may_persist_per_thread():
    settings = settings_with(DJANGO_DEBUG="1", DATABASE_URL=POSTGRES, DATABASE_POOL="0", DATABASE_CONN_MAX_AGE="60")

    assert "pool" not in settings["DB_OPTIONS"] and settings["CONN_MAX_AGE"] == 60
    assert "pool" not in settings_with(DJANGO_DEBUG="1", DATABASE_POOL="0")["DB_OPTIONS"]


@pytest.mark.parametrize(
    "variables, complaint",
    [
        ({"DATABASE_CONN_MAX_AGE": "60"}, "DATABASE_CONN_MAX_AGE and DATABASE_POOL cannot both be on"),
        ({"DATABASE_POOL_MIN_SIZE": "5", "DATABASE_POOL_MAX_SIZE": "4"}, "DATABASE_POOL_MIN_SIZE=5 is more than"),
        ({"DATABASE_POOL_MAX_SIZE": "0"}, "DATABASE_POOL_MAX_SIZE=0 must be at least 1"),
        ({"DATABASE_POOL": "sometimes"}, "DATABASE_POOL='sometimes' is not a boolean"),
    ],
)
def test_bad_pool_settings_are_refused(variables, complaint):
    message = refusal_with(DJANGO_DEBUG="1", **variables)

    assert "ImproperlyConfigured" in message and complaint in message


def test_without_redis_the_channel_layer_is_in_memory():
    assert settings_with(DJANGO_DEBUG="1", REDIS_URL="")["LAYER"] == "channels.layers.InMemoryChannelLayer"


@pytest.fixture
def local_redis():
    """The Redis this machine runs on 127.0.0.1:6379 (the one the test run uses, and CI starts)."""
    assert redis_answers(LOCAL_REDIS), "these tests need the local Redis on 127.0.0.1:6379 (`make test` uses it)"


def test_in_debug_a_local_redis_is_used_when_redis_url_is_unset(local_redis):
    settings = settings_with(DJANGO_DEBUG="1")

    assert settings["LAYER"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert settings["LAYER_HOSTS"] == [LOCAL_REDIS]


def test_an_empty_redis_url_keeps_the_in_memory_layer_although_redis_runs(local_redis):
    assert settings_with(DJANGO_DEBUG="1", REDIS_URL="")["LAYER"] == "channels.layers.InMemoryChannelLayer"


def test_with_debug_off_no_local_redis_is_looked_for(local_redis):
    assert settings_with(DJANGO_SECRET_KEY=PRODUCTION["DJANGO_SECRET_KEY"])["LAYER"] == "channels.layers.InMemoryChannelLayer"


def server_start_log(**variables: str) -> str:
    result = run(["-c", "import petland.asgi"], **variables)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_a_server_says_once_at_start_which_layer_it_uses(local_redis):
    found = server_start_log(DJANGO_DEBUG="1")
    assert found.count("channel layer:") == 1
    assert "channel layer: Redis at 127.0.0.1:6379 (pubsub; found running locally, REDIS_URL is unset)" in found

    assert "channel layer: Channels' in-memory layer (one process only" in server_start_log(DJANGO_DEBUG="1", REDIS_URL="")
    assert "channel layer: Redis at 127.0.0.1:6379 (pubsub; REDIS_URL)" in server_start_log(**PRODUCTION)


def test_the_layer_line_never_shows_the_redis_password():
    log = server_start_log(**{**PRODUCTION, "REDIS_URL": "redis://:hunter2-secret@127.0.0.1:6379/0"})

    assert "channel layer: Redis at 127.0.0.1:6379" in log
    assert "hunter2" not in log


# --- the development .env -----------------------------------------------------------------------
def test_settings_read_a_dotenv_file(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("DJANGO_DEBUG=1\nDJANGO_SECRET_KEY=from-the-dotenv-file-0123456789\n")

    settings = settings_with(DJANGO_ENV_FILE=str(dotenv))

    assert (settings["DEBUG"], settings["SECRET_KEY"]) == (True, "from-the-dotenv-file-0123456789")


def test_the_environment_wins_over_the_dotenv_file(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("DJANGO_DEBUG=1\nDJANGO_SECRET_KEY=from-the-dotenv-file-0123456789\n")

    settings = settings_with(DJANGO_ENV_FILE=str(dotenv), **PRODUCTION)

    assert (settings["DEBUG"], settings["SECRET_KEY"]) == (False, PRODUCTION["DJANGO_SECRET_KEY"])


def test_make_writes_a_development_dotenv_once_that_settings_read(tmp_path):
    shutil.copy(PROJECT / "Makefile", tmp_path / "Makefile")
    subprocess.run(["make", ".env"], cwd=tmp_path, check=True, capture_output=True, timeout=60)
    written = (tmp_path / ".env").read_text()

    settings = settings_with(DJANGO_ENV_FILE=str(tmp_path / ".env"))
    subprocess.run(["make", ".env"], cwd=tmp_path, check=True, capture_output=True, timeout=60)

    assert settings["DEBUG"] is True
    assert len(settings["SECRET_KEY"]) >= 50 and not settings["SECRET_KEY"].startswith("django-insecure-")
    assert f"DJANGO_SECRET_KEY={settings['SECRET_KEY']}\n" in written
    assert (tmp_path / ".env").read_text() == written  # never overwritten


def test_manage_py_says_in_one_line_that_the_secret_key_is_missing():
    result = run(["manage.py", "check"], DJANGO_DEBUG="0")

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("manage.py: DJANGO_SECRET_KEY is not set. It is required when DJANGO_DEBUG is off.")
    assert "make run" in result.stderr


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
