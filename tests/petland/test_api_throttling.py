"""The API's throttles: failed logins per username (10 a minute) and per client address (50),
writes per user; over a limit, 429 with ``Retry-After``. The counters live in the cache that all
server processes share (Redis)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from tests.factories import PASSWORD
from tests.petland.test_settings import PRODUCTION, PROJECT, run

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/token/"


def login(username: str, password: str, address: str = "127.0.0.1", **headers: str) -> object:
    return APIClient().post(LOGIN, {"username": username, "password": password}, format="json", REMOTE_ADDR=address, **headers)


def assert_throttled(response) -> None:
    assert response.status_code == 429, response.content
    assert 0 < int(response["Retry-After"]) <= 60
    assert "access" not in response.json()


# --- failed logins per username -----------------------------------------------------------------
def test_ten_failed_logins_for_one_username_then_429_even_with_the_right_password(alice):
    failures = [login("alice", f"guess-{n}", address=f"10.0.0.{n}") for n in range(10)]

    assert [r.status_code for r in failures] == [401] * 10
    assert_throttled(login("alice", "guess-10", address="10.0.1.1"))
    assert_throttled(login("alice", PASSWORD, address="10.0.1.2"))  # else the 11th guess would tell


def test_another_users_correct_login_from_the_same_address_still_works(alice, bob):
    for n in range(10):
        login("alice", f"guess-{n}")
    assert_throttled(login("alice", PASSWORD))

    response = login("bob", PASSWORD)

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_correct_logins_are_not_counted(alice):
    assert [login("alice", PASSWORD).status_code for _ in range(15)] == [200] * 15
    assert login("alice", "wrong").status_code == 401


# --- failed logins per address ------------------------------------------------------------------
def test_fifty_failed_logins_from_one_address_then_429_for_any_username(alice):
    failures = [login(f"nobody-{n}", "guess", address="203.0.113.7") for n in range(50)]

    assert [r.status_code for r in failures] == [401] * 50
    assert_throttled(login("nobody-50", "guess", address="203.0.113.7"))
    assert_throttled(login("alice", PASSWORD, address="203.0.113.7"))
    assert login("alice", PASSWORD, address="203.0.113.8").status_code == 200  # another address


def test_a_client_cannot_change_its_address_with_x_forwarded_for(alice):
    for n in range(50):
        login(f"nobody-{n}", "guess", address="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")

    assert_throttled(login("alice", PASSWORD, address="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.200"))


# --- writes per user ----------------------------------------------------------------------------
def with_write_rate(settings, rate: str | None) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "write": rate},
    }


def test_writes_are_600_a_minute_per_user_by_default():
    assert django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["write"] == "600/min"


def test_a_user_over_the_write_rate_gets_429_and_others_and_reads_do_not(settings, alice_api, bob_api):
    with_write_rate(settings, "3/min")
    pet = {"name": "Luna", "species": "Perro"}

    assert [alice_api.post("/api/pets/", pet, format="json").status_code for _ in range(3)] == [201] * 3
    assert_throttled(alice_api.post("/api/pets/", pet, format="json"))
    assert alice_api.get("/api/pets/").json()["count"] == 3  # nothing more was made; reads go on
    assert bob_api.post("/api/pets/", pet, format="json").status_code == 201


def test_no_write_rate_is_no_limit(settings, alice_api):
    with_write_rate(settings, None)

    assert {alice_api.post("/api/pets/", {"name": "Luna", "species": "Perro"}, format="json").status_code for _ in range(5)} == {
        201
    }


# --- when the counters cannot be reached ---------------------------------------------------------
@pytest.fixture
def counters_down(settings):
    """The cache pointed at a loopback port where nothing listens: every call fails at once."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}


def test_without_its_counters_the_api_still_takes_writes(counters_down, alice_api):
    response = alice_api.post("/api/pets/", {"name": "Luna", "species": "Perro"}, format="json")

    assert response.status_code == 201


@pytest.mark.parametrize("password", [PASSWORD, "wrong"])
def test_without_its_counters_logins_are_refused_not_left_unlimited(counters_down, alice, password):
    response = login("alice", password)

    assert response.status_code == 503
    assert response.json() == {"detail": "Signing in is unavailable for a moment; try again shortly."}


# --- one counter for every server process -------------------------------------------------------
FAIL_IN_ANOTHER_PROCESS = """
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
import django
django.setup()
from django.conf import settings
settings.CACHES["default"]["KEY_PREFIX"] = sys.argv[1]  # the test's own counters
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from petland.api.throttles import LoginUsernameThrottle
request = Request(APIRequestFactory().post("/api/auth/token/", {"username": "alice"}, format="json"),
                  parsers=[JSONParser()])
for _ in range(10):
    LoginUsernameThrottle().failed(request, None)
"""


def test_failures_counted_by_another_server_process_count_here(alice):
    assert django_settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    done = subprocess.run(
        [sys.executable, "-c", FAIL_IN_ANOTHER_PROCESS, django_settings.CACHES["default"]["KEY_PREFIX"]],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr

    assert_throttled(login("alice", PASSWORD))


PROBE = """
import json
from django.conf import settings
print(json.dumps({"CACHES": settings.CACHES, "RATES": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}))
"""


def probe(**variables: str) -> dict:
    result = run(["-c", PROBE], **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_counters_live_in_redis_under_the_deployments_prefix():
    found = probe(**PRODUCTION, REALTIME_REDIS_PREFIX="shop-a")

    assert found["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": PRODUCTION["REDIS_URL"],
        "KEY_PREFIX": "shop-a:cache",
    }
    assert found["RATES"] == {"write": "600/min", "login_username": "10/min", "login_address": "50/min", "chat_message": "10/10s"}


def test_the_rates_come_from_the_environment_and_zero_is_no_limit():
    found = probe(
        **PRODUCTION, API_WRITES_PER_MINUTE="0", API_LOGIN_FAILURES_PER_USERNAME="5", API_LOGIN_FAILURES_PER_ADDRESS="20"
    )

    assert found["RATES"] == {"write": None, "login_username": "5/min", "login_address": "20/min", "chat_message": "10/10s"}


def test_a_bad_rate_stops_the_process_at_start():
    result = run(["-c", PROBE], **PRODUCTION, API_WRITES_PER_MINUTE="lots")

    assert result.returncode != 0
    assert "API_WRITES_PER_MINUTE='lots' is not an integer" in result.stderr
