"""How often the API may be asked: failed logins per username and per client address, writes
per user. DRF throttles, their rates in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``
(``petland/settings.py``; a rate of ``None`` is no limit), their counters in Django's default
cache: Redis when ``REDIS_URL`` is set, so that every server process counts together.

Rates are read when a throttle is made, not when this module is imported (DRF's own read them
once), so that a setting overridden in a test or a deployment is the one that counts.

When the cache cannot be reached (Redis down), writes go through unthrottled (logged), so that an
outage of the counters is not an outage of the API; logins are refused with a 503, so that an
outage of the counters is not an open door to password guessing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any, cast

from rest_framework.exceptions import APIException
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


logger = logging.getLogger(__name__)


class CountersUnavailable(APIException):
    status_code = 503
    default_detail = "Signing in is unavailable for a moment; try again shortly."
    default_code = "counters_unavailable"


class SettingsRate:
    """Reads the scope's rate from the current settings."""

    scope: str | None

    def get_rate(self) -> str | None:
        if self.scope is None:
            return None  # as the lookup below would: no rate has the key None
        # Rates are strings ("5/min"); djangorestframework-stubs types the setting's values as numbers.
        return cast("str | None", api_settings.DEFAULT_THROTTLE_RATES.get(self.scope))


class WriteThrottle(SettingsRate, UserRateThrottle):
    """Writes (anything but GET, HEAD, OPTIONS) per user, or per address when signed out."""

    scope = "write"

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache's own errors (redis-py's, or any other backend's)
            logger.warning("write counters unreachable: write let through unthrottled", exc_info=True)
            return True


class FailedLoginThrottle(SettingsRate, SimpleRateThrottle):
    """Counts failed logins only. ``allow_request`` counts nothing: it refuses a login (before its
    password is checked) once the key has failed ``rate`` times; the view calls ``failed`` for a
    login that failed. A correct password never counts, so a user's successful logins do not lock
    anyone out."""

    num_requests: int  # set from the rate by SimpleRateThrottle.__init__
    duration: int

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        self.history = self._recent(self.key)
        return len(self.history) < self.num_requests

    def failed(self, request: Any, view: Any) -> None:
        key = self.get_cache_key(request, view) if self.rate is not None else None
        if key is None:
            return
        self.now = self.timer()
        history = [self.now, *self._recent(key)]
        try:
            self.cache.set(key, history, self.duration)
        except Exception as error:  # the cache's own errors (redis-py's, or any other backend's)
            raise CountersUnavailable() from error

    def _recent(self, key: str) -> list[float]:
        try:
            history = self.cache.get(key, [])
        except Exception as error:  # the cache's own errors (redis-py's, or any other backend's)
            raise CountersUnavailable() from error
        return [at for at in history if at > self.now - self.duration]


class LoginUsernameThrottle(FailedLoginThrottle):
    """Failed logins naming one username, from anywhere: password guessing against one account."""

    scope = "login_username"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        data = request.data if isinstance(request.data, Mapping) else {}
        username = data.get("username")
        if not isinstance(username, str) or not username:
            return None  # no login to guess: simplejwt answers 400
        # Hashed: the key's length and characters do not depend on what the client sent.
        return self.cache_format % {"scope": self.scope, "ident": hashlib.sha256(username.encode()).hexdigest()}


class LoginAddressThrottle(FailedLoginThrottle):
    """Failed logins from one client address, whatever the username: one client trying many."""

    scope = "login_address"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ChatMessageThrottle(SettingsRate, SimpleRateThrottle):
    """New chat messages per user and conversation (``"10/10s"``: ten in any ten seconds). The
    period may be a number of seconds, which DRF's own rates cannot say. Like writes, a cache
    outage lets messages through (logged)."""

    scope = "chat_message"

    def parse_rate(self, rate: str | None) -> tuple[int | None, int | None]:
        if rate is None:
            return None, None
        count, period = rate.split("/")
        if period.endswith("s") and period[:-1].isdigit():
            return int(count), int(period[:-1])
        return super().parse_rate(rate)

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if request.method != "POST" or not request.user.is_authenticated:
            return None
        ident = f"{request.user.pk}:{view.kwargs.get('reservation_id')}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache's own errors (redis-py's, or any other backend's)
            logger.warning("chat counters unreachable: message let through unthrottled", exc_info=True)
            return True
