"""On PostgreSQL, requests take their connections from Django's pool (DATABASE_POOL): a request
in a new thread, as under ASGI, opens no new connection."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.petland.speedups.test_sqlite3 import in_a_new_thread

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="runs on PostgreSQL only (Django's PostgreSQL pool): set DATABASE_URL=postgres://... to run it",
    ),
]


def open_query_and_close() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    connection.close()
    return pid


def test_requests_in_new_threads_reuse_the_pools_connections():
    pool = connection.pool
    assert pool is not None
    in_a_new_thread(open_query_and_close)
    opened = pool.get_stats()["connections_num"]

    backends = {in_a_new_thread(open_query_and_close) for _ in range(6)}

    assert pool.get_stats()["connections_num"] == opened
    assert len(backends) <= pool.max_size
