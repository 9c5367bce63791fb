"""Guard for ``petland.speedups.sqlite3``: the SQLite backend's pool (built on Django's
``DatabaseWrapper._close`` and ``get_new_connection``): a connection closed in one request's
thread is the next request's, in any thread, only when it is back in the state it was opened in."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, connections

from petland.speedups.sqlite3.base import ConnectionPool

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="runs on SQLite only (the SQLite backend's pool)"),
    pytest.mark.skipif(not settings.SPEEDUPS, reason="REALTIME_SPEEDUPS=0: Django's own SQLite backend, no pool"),
]


def in_a_new_thread(work: Callable[[], Any]) -> Any:
    """What ``work`` returns, run in a thread of its own as an ASGI request is."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    if errors:
        raise errors[0]
    return result[0]


def open_and_close(before_close: Callable[[], Any] = lambda: None) -> sqlite3.Connection:
    connection.ensure_connection()
    raw = connection.connection
    before_close()
    connection.close()
    return raw


def open_only() -> sqlite3.Connection:
    connection.ensure_connection()
    raw = connection.connection
    connection.close()
    return raw


def test_a_closed_connection_is_the_next_threads_connection():
    first = in_a_new_thread(open_and_close)

    assert in_a_new_thread(open_only) is first


def test_a_pooled_connection_is_as_a_new_one():
    in_a_new_thread(open_and_close)

    def pragmas() -> tuple:
        with connection.cursor() as cursor:
            foreign_keys = cursor.execute("PRAGMA foreign_keys").fetchone()[0]
            journal = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        connection.close()
        return foreign_keys, journal

    assert in_a_new_thread(pragmas) == (1, "wal")


def test_a_connection_closed_in_a_transaction_is_closed_for_real():
    raw = in_a_new_thread(lambda: open_and_close(lambda: connection.connection.execute("BEGIN")))

    with pytest.raises(sqlite3.ProgrammingError):
        raw.execute("SELECT 1")
    assert in_a_new_thread(open_only) is not raw


def test_a_connection_left_without_foreign_keys_is_closed_for_real():
    raw = in_a_new_thread(lambda: open_and_close(connection.disable_constraint_checking))

    with pytest.raises(sqlite3.ProgrammingError):
        raw.execute("SELECT 1")


def test_the_pool_keeps_at_most_max_size_idle_connections():
    pool = ConnectionPool(max_size=2)
    raws = [sqlite3.connect(":memory:") for _ in range(3)]

    assert [pool.give(raw) for raw in raws] == [True, True, False]
    assert pool.take() is raws[1] and len(pool) == 1
    pool.close()
    assert pool.take() is None
    with pytest.raises(sqlite3.ProgrammingError):
        raws[0].execute("SELECT 1")


def test_without_the_pool_each_thread_opens_its_own():
    options = connections["default"].settings_dict["OPTIONS"]
    saved = options.pop("pool")
    try:
        first = in_a_new_thread(open_and_close)
        assert in_a_new_thread(open_only) is not first
    finally:
        options["pool"] = saved
