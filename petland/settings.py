"""PetLand settings. Everything that varies between deployments comes from the environment.

See README.md ("Configuration") for every variable. Values are read through the typed
helpers in ``petland.env``, which refuse bad values instead of guessing.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from petland.env import (
    env_base64url,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_is_set,
    env_list,
    env_str,
    load_env_file,
    redis_answers,
)

BASE_DIR = Path(__file__).resolve().parent.parent
# A development .env (``make run`` writes one); the environment wins over it. DJANGO_ENV_FILE=""
# reads none, as the tests do.
load_env_file(env_str("DJANGO_ENV_FILE", str(BASE_DIR / ".env")))

DEBUG = env_bool("DJANGO_DEBUG", False)

# The one switch for every speed-up that rests on another library's private internals: the
# project's (petland/speedups/) and, through REALTIME["SPEEDUPS"], realtime's (realtime/speedups/).
# Off (REALTIME_SPEEDUPS=0), everything runs on public APIs only, slower (docs/performance.md).
SPEEDUPS = env_bool("REALTIME_SPEEDUPS", True)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. It is required when DJANGO_DEBUG is off. For local "
            "development run `make run` once (it writes a .env with DJANGO_DEBUG=1 and a generated key)."
        )
    SECRET_KEY = "django-insecure-petland-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",  # first, so that `manage.py runserver` serves WebSockets too
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc as static files: /api/docs/ works offline
    "realtime",
    "petland",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "petland.activity.ActorMiddleware",
]

ROOT_URLCONF = "petland.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "petland" / "templates"],
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

WSGI_APPLICATION = "petland.wsgi.application"
ASGI_APPLICATION = "petland.asgi.application"

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASE_CONN_MAX_AGE = env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0)
# Under ASGI each request runs in a new thread, so without a pool every request opens and
# closes a database connection (persistent connections belong to threads that never come back).
DATABASE_POOL = env_bool("DATABASE_POOL", True)
DATABASE_POOL_MIN_SIZE = env_int("DATABASE_POOL_MIN_SIZE", 2, minimum=0)
DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 10, minimum=1)
DATABASE_POOL_TIMEOUT = env_float("DATABASE_POOL_TIMEOUT", 10.0, minimum=0.1)
# Check a connection before handing it out (PostgreSQL: one round trip per request); without it,
# after a database restart each pooled connection fails one request before it is replaced.
DATABASE_CONN_HEALTH_CHECKS = env_bool("DATABASE_CONN_HEALTH_CHECKS", False)
if DATABASE_POOL and DATABASE_CONN_MAX_AGE:
    raise ImproperlyConfigured(
        "DATABASE_CONN_MAX_AGE and DATABASE_POOL cannot both be on: set DATABASE_POOL=0 to keep "
        "connections per thread instead of pooling them."
    )
if DATABASE_POOL_MIN_SIZE > DATABASE_POOL_MAX_SIZE:
    raise ImproperlyConfigured(
        f"DATABASE_POOL_MIN_SIZE={DATABASE_POOL_MIN_SIZE} is more than DATABASE_POOL_MAX_SIZE={DATABASE_POOL_MAX_SIZE}"
    )
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=DATABASE_CONN_MAX_AGE, conn_health_checks=DATABASE_CONN_HEALTH_CHECKS
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if SPEEDUPS:
        # Django's SQLite backend plus a pool of open connections (petland/speedups/sqlite3).
        DATABASES["default"]["ENGINE"] = "petland.speedups.sqlite3"
    # WAL and IMMEDIATE transactions let the web server, the publisher and a shell write
    # to one SQLite file without "database is locked" errors.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    if DATABASE_POOL and SPEEDUPS:
        # Idle connections kept per process; SQLite opens any number.
        DATABASES["default"]["OPTIONS"]["pool"] = {"max_size": DATABASE_POOL_MAX_SIZE}
    DATABASES["default"]["TEST"] = {"NAME": env_str("DJANGO_TEST_SQLITE_NAME", str(BASE_DIR / "test-db.sqlite3"))}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_POOL:
    # Django's psycopg pool (psycopg-pool): at most MAX_SIZE connections per process; a request
    # waits up to TIMEOUT seconds for one when all are in use.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": DATABASE_POOL_MIN_SIZE,
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": DATABASE_POOL_TIMEOUT,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "petland.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- Channel layer --------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"
# In development, a Redis running on this machine is used when REDIS_URL is unset (REDIS_URL=""
# keeps the in-memory layer). petland/asgi.py says at start which layer a server uses.
REDIS_FOUND_LOCALLY = DEBUG and not env_is_set("REDIS_URL") and redis_answers(LOCAL_REDIS_URL)
if REDIS_FOUND_LOCALLY:
    REDIS_URL = LOCAL_REDIS_URL
REDIS_PREFIX = env_str("REALTIME_REDIS_PREFIX", "petland")
REDIS_LAYER = env_choice("REDIS_LAYER", "pubsub", ("pubsub", "core"))
if REDIS_URL:
    # pubsub (default): one PUBLISH per event whatever the number of listeners; each server
    # process holds a single subscription and fans out to its own sockets (docs/architecture.md).
    # core: channels_redis's list-based layer, whose per-channel capacity drops messages when
    # full; the hubs fill such holes from the event log.
    CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": {
                "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "core": "channels_redis.core.RedisChannelLayer",
            }[REDIS_LAYER],
            "CONFIG": {"hosts": [REDIS_URL], "prefix": REDIS_PREFIX},
        }
    }
    if REDIS_LAYER == "core":
        CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] = env_int("REDIS_LAYER_CAPACITY", 100, minimum=1)
else:
    # Single process only: a system check (realtime.W001) warns about it at start.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Real-time ------------------------------------------------------------------------------
REALTIME = {
    "PUBLICATIONS": "petland.publications.PUBLICATIONS",
    "SPEEDUPS": SPEEDUPS,
    "ALLOWED_ORIGINS": env_list("REALTIME_ALLOWED_ORIGINS", []),
    "EVENT_RETENTION_DAYS": env_int("REALTIME_EVENT_RETENTION_DAYS", 7, minimum=1),
    "POLL_INTERVAL": env_float("REALTIME_POLL_INTERVAL", 1.0, minimum=0.05),
    "MAX_MESSAGE_BYTES": env_int("REALTIME_MAX_MESSAGE_BYTES", 64 * 1024, minimum=1024),
    "LOG_FORMAT": env_choice("REALTIME_LOG_FORMAT", "logfmt", ("logfmt", "json")),
    "MESSAGES_PER_SECOND": env_float("REALTIME_MESSAGES_PER_SECOND", 20.0, minimum=0.1),
    "MESSAGE_BURST": env_int("REALTIME_MESSAGE_BURST", 40, minimum=1),
    "MAX_SOCKETS_PER_USER": env_int("REALTIME_MAX_SOCKETS_PER_USER", 50, minimum=1),
    "MAX_SOCKETS_PER_ADDRESS": env_int("REALTIME_MAX_SOCKETS_PER_ADDRESS", 200, minimum=1),
    "REVALIDATE_INTERVAL": env_float("REALTIME_REVALIDATE_INTERVAL", 5.0, minimum=0.1),
    "MAX_SEND_BUFFER": env_int("REALTIME_MAX_SEND_BUFFER", 1024 * 1024, minimum=16 * 1024),
    "REPLAY_THREADS": env_int("REALTIME_REPLAY_THREADS", 2, minimum=1),
    "METRICS_ALLOWED_NETWORKS": env_list("REALTIME_METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"]),
    "STATS_REDIS_URL": REDIS_URL or None,
    "STATS_KEY_PREFIX": f"{REDIS_PREFIX}:realtime-stats:",
    "STATS_INTERVAL": env_float("REALTIME_STATS_INTERVAL", 2.0, minimum=0.1),
    "READY_TIMEOUT": env_float("REALTIME_READY_TIMEOUT", 2.0, minimum=0.1),
    "FEED_HEARTBEAT": env_float("REALTIME_FEED_HEARTBEAT", 15.0, minimum=0.1),
    "ONLINE_KEY_PREFIX": f"{REDIS_PREFIX}:realtime-online:",
    # Web Push (docs/operations.md): off while the keys are unset; `manage.py webpush_keys` makes a pair.
    "WEBPUSH_VAPID_PRIVATE_KEY": env_base64url("WEBPUSH_VAPID_PRIVATE_KEY", length=32),
    "WEBPUSH_VAPID_PUBLIC_KEY": env_base64url("WEBPUSH_VAPID_PUBLIC_KEY", length=65),
    "WEBPUSH_SUBJECT": env_str("WEBPUSH_SUBJECT"),
    "WEBPUSH_IDLE_SECONDS": env_int("WEBPUSH_IDLE_SECONDS", 60, minimum=0),
    "WEBPUSH_CONTENT": "petland.push.push_content",
    "PRESENCE_REDIS_URL": REDIS_URL or None,
    "PRESENCE_KEY_PREFIX": env_str("REALTIME_PRESENCE_KEY_PREFIX", f"{REDIS_PREFIX}:presence:"),
    "PRESENCE_TTL": env_float("REALTIME_PRESENCE_TTL", 25.0, minimum=1.0),
    "PRESENCE_REFRESH": env_float("REALTIME_PRESENCE_REFRESH", 10.0, minimum=0.1),
    "PRESENCE_LINGER": env_float("REALTIME_PRESENCE_LINGER", 5.0, minimum=0.0),
}
if env_is_set("WEBPUSH_ALLOWED_ENDPOINTS"):  # else realtime's default: the major browsers' push services
    REALTIME["WEBPUSH_ALLOWED_ENDPOINTS"] = env_list("WEBPUSH_ALLOWED_ENDPOINTS", [])
if bool(REALTIME["WEBPUSH_VAPID_PRIVATE_KEY"]) != bool(REALTIME["WEBPUSH_VAPID_PUBLIC_KEY"]):
    raise ImproperlyConfigured("Set both WEBPUSH_VAPID_PRIVATE_KEY and WEBPUSH_VAPID_PUBLIC_KEY, or neither (push off).")
if REALTIME["WEBPUSH_VAPID_PRIVATE_KEY"] and not str(REALTIME["WEBPUSH_SUBJECT"]).startswith(("mailto:", "https://")):
    raise ImproperlyConfigured("WEBPUSH_SUBJECT must be a mailto: or https: contact for the push services when push is on.")


# --- REST API -------------------------------------------------------------------------------
def _per_minute(count: int) -> str | None:
    return f"{count}/min" if count else None  # 0: no limit


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # simplejwt's (petland/api/authentication.py); with the speed-ups reading the user in one prebuilt query
        f"{'petland.speedups.simplejwt' if SPEEDUPS else 'petland.api.authentication'}.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "petland.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "petland.api.filters.IdFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "petland.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "petland.api.errors.exception_handler",
    # Throttles (petland/api/throttles.py); a rate of None is no limit. Over a limit: 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["petland.api.throttles.WriteThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "write": _per_minute(env_int("API_WRITES_PER_MINUTE", 600, minimum=0)),
        "login_username": _per_minute(env_int("API_LOGIN_FAILURES_PER_USERNAME", 10, minimum=0)),
        "login_address": _per_minute(env_int("API_LOGIN_FAILURES_PER_ADDRESS", 50, minimum=0)),
        "chat_message": "10/10s",  # new messages per user and conversation (issue 16)
    },
    # A client address is the connection's (daphne's, with --proxy-headers the proxy's
    # X-Forwarded-For); never an X-Forwarded-For the client wrote itself.
    "NUM_PROXIES": 0,
}
# The throttles' counters: in Redis when there is one, shared by every server process (each
# process would otherwise count on its own), under this deployment's prefix.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{REDIS_PREFIX}:cache",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 30, minimum=1)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7, minimum=1)),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PetLand API",
    "DESCRIPTION": "Pets, reservations, payments, invoices and medical history of a pet-care business.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Pinned copies from drf-spectacular-sidecar under /static/, not a CDN's @latest.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},  # no badge from validator.swagger.io
}

# --- Security (production) ------------------------------------------------------------------
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env_choice("DJANGO_LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical")).upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Tokens never reach a log line, whoever logs the URL (daphne, Django, our own code).
    "filters": {"redact_tokens": {"()": "realtime.RedactTokensFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_tokens"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False}},
}
