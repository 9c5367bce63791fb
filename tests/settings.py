"""The project's settings as production reads them, with the few variables a test run needs.

Tests run with DEBUG off, as in production; only the HTTPS redirect and secure cookies are
off, since the test client and the loopback servers speak plain HTTP.
"""

import os
import tempfile

# Never a developer's .env (``make run`` writes one): tests read only what they set.
os.environ.setdefault("DJANGO_ENV_FILE", "")
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# Keeps this run's events apart from any other run sharing the Redis server.
os.environ.setdefault("REALTIME_REDIS_PREFIX", f"petland-test-{os.getpid()}")
os.environ.setdefault("REALTIME_POLL_INTERVAL", "0.5")
# Tests run against a real Redis (the one this machine runs, unless REDIS_URL says otherwise);
# the in-memory layer has tests of its own that override CHANNEL_LAYERS.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
# A test database of this run's own, so that two runs on one machine never share a file.
os.environ.setdefault("DJANGO_TEST_SQLITE_NAME", os.path.join(tempfile.gettempdir(), f"petland-test-{os.getpid()}.sqlite3"))

from petland.settings import *  # noqa: E402,F401,F403
