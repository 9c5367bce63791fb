"""The clinic's settings as production reads them (DEBUG off), with what a test run needs."""

import json
import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "clinic-tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# The real Redis, unless REDIS_URL says otherwise; this run's events apart from any other run's.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("CLINIC_REDIS_PREFIX", f"clinic-test-{os.getpid()}")
os.environ.setdefault("CLINIC_POLL_INTERVAL", "0.5")
# A test database file of this run's own, so that two runs on one machine never share one.
os.environ.setdefault("CLINIC_TEST_SQLITE_NAME", os.path.join(tempfile.gettempdir(), f"clinic-test-{os.getpid()}.sqlite3"))

from clinic.settings import *  # noqa: E402,F401,F403
from clinic.settings import CHANNEL_LAYERS, DATABASES, REALTIME  # noqa: E402

# What a test gives its child processes (tests/realtime/child_settings.py): more REALTIME keys,
# another channel layer (on this run's Redis and prefix unless it says otherwise).
REALTIME = {**REALTIME, **json.loads(os.environ.get("CLINIC_TEST_REALTIME", "{}"))}
if layer := json.loads(os.environ.get("CLINIC_TEST_CHANNEL_LAYER", "{}")):
    layer["CONFIG"] = {**CHANNEL_LAYERS["default"].get("CONFIG", {}), **layer["CONFIG"]}
    CHANNEL_LAYERS = {"default": layer}

if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # The PostgreSQL that DATABASE_URL names (as CI's second pass sets it for PetLand's suite too):
    # a test database of the clinic's own, never PetLand's ``test_<name>``.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_clinic"}
