"""The clinic: the smallest project that uses ``realtime``, through its public names only
(docs/realtime.md). Everything that varies comes from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """``1``/``0`` (or true/false, yes/no); anything else stops the start with a clear error."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: use 1 or 0.")


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is not set; it is required when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-clinic-development-only-key"
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]

INSTALLED_APPS = [
    "daphne",  # first: `manage.py runserver` then serves WebSockets too
    "django.contrib.admin",  # the /live/ page is an admin page
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "realtime",
    "visits",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "clinic.urls"
ASGI_APPLICATION = "clinic.asgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# DATABASE_URL (e.g. postgres://user@host:5432/clinic) when it is set; else an SQLite file.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("CLINIC_SQLITE_NAME", str(BASE_DIR / "db.sqlite3")),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The server's threads and a shell write to one file: WAL and IMMEDIATE transactions
    # wait for each other instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("CLINIC_TEST_SQLITE_NAME", str(BASE_DIR / "test-db.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
STATIC_URL = "static/"

# --- realtime ---------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Deployments sharing a Redis need a prefix each: pub/sub ignores the database number.
REDIS_PREFIX = os.environ.get("CLINIC_REDIS_PREFIX", "clinic")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": REDIS_PREFIX},
        }
    }
else:  # one process only; the system check realtime.W001 says so
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

REALTIME = {
    "PUBLICATIONS": "visits.publications.PUBLICATIONS",
    # REALTIME_SPEEDUPS=0: realtime on its libraries' public APIs only (docs/performance.md).
    "SPEEDUPS": env_bool("REALTIME_SPEEDUPS", True),
    # Notifications travel on a channel of the table; the clinic has one, so they share it.
    "NOTIFICATION_CHANNEL": "visits",
    "POLL_INTERVAL": float(os.environ.get("CLINIC_POLL_INTERVAL", "1.0")),
    "STATS_REDIS_URL": REDIS_URL or None,
    "STATS_KEY_PREFIX": f"{REDIS_PREFIX}:realtime-stats:",
}

# --- REST: JWT access tokens (the sockets' ?token=) or the session ----------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

# Tokens and socket tickets never reach a log line, whoever logs the URL.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "realtime.RedactTokensFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
