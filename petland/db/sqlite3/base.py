"""Django's SQLite backend with a pool of open connections, for ASGI servers.

Under ASGI every request runs its sync code in a thread of its own, so Django opens a new
SQLite connection per request (registering its functions and running the init commands) and
closes it at the end, and closing the last connection checkpoints the WAL: together a fifth
of a write request's time. ``CONN_MAX_AGE`` cannot help, since connections belong to threads
and under Django's own handler the threads do not come back (``petland.handlers`` reuses them,
but other ASGI or WSGI set-ups may not). As with Django's PostgreSQL pool, a closed connection goes
back to a per-process pool instead (``OPTIONS["pool"] = {"max_size": n}``: at most ``n`` idle
connections kept), and the next request in any thread takes it.

A connection goes back only in the state it was opened in: outside any transaction and with
foreign keys enforced; any other is closed for real.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.sqlite3 import base, creation

DEFAULT_MAX_SIZE = 10


class ConnectionPool:
    """Idle connections of one database file, last in first out."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    def take(self) -> Any | None:
        with self._lock:
            return self._idle.pop() if self._idle else None

    def give(self, connection: Any) -> bool:
        """Keep ``connection`` for the next taker; False when the pool is full."""
        with self._lock:
            if len(self._idle) >= self.max_size:
                return False
            self._idle.append(connection)
            return True

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def __len__(self) -> int:
        return len(self._idle)


_pools: dict[tuple, ConnectionPool] = {}
_pools_lock = threading.Lock()


def pool_options(options: Any) -> dict[str, Any] | None:
    """``OPTIONS["pool"]``: falsy (no pool), True (the defaults) or ``{"max_size": n}``.
    PostgreSQL's other pool options (``min_size``, ``timeout``) mean nothing here."""
    if not options:
        return None
    if options is True:
        return {"max_size": DEFAULT_MAX_SIZE}
    if not isinstance(options, dict):
        raise ImproperlyConfigured(f"OPTIONS['pool'] must be True or a dict, not {options!r}")
    max_size = options.get("max_size", DEFAULT_MAX_SIZE)
    if not isinstance(max_size, int) or max_size < 1:
        raise ImproperlyConfigured(f"OPTIONS['pool']['max_size'] must be a positive integer, not {max_size!r}")
    return {"max_size": max_size}


class DatabaseCreation(creation.DatabaseCreation):
    connection: DatabaseWrapper

    def _destroy_test_db(self, test_database_name: str, verbosity: int) -> None:
        self.connection.close_pool()
        super()._destroy_test_db(test_database_name, verbosity)  # type: ignore[misc]  # private to Django: not in django-stubs


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pool_of_connection: ConnectionPool | None = None
        self._foreign_keys_off = False

    @property
    def pool(self) -> ConnectionPool | None:
        """This database's pool in this process, or None when pooling is off (or the database
        is in memory: Django never closes those)."""
        options = pool_options(self.settings_dict["OPTIONS"].get("pool"))
        if options is None or self.is_in_memory_db():
            return None
        if self.settings_dict.get("CONN_MAX_AGE", 0) != 0:
            raise ImproperlyConfigured("Pooling doesn't support persistent connections.")
        key = (self.alias, str(self.settings_dict["NAME"]), repr(sorted(self.settings_dict["OPTIONS"].items())))
        pool = _pools.get(key)
        if pool is None:
            with _pools_lock:
                pool = _pools.setdefault(key, ConnectionPool(options["max_size"]))
        return pool

    def close_pool(self) -> None:
        """Close the idle connections (the test runner does before it deletes a database)."""
        if (pool := self.pool) is not None:
            pool.close()

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        params.pop("pool", None)  # ours, not sqlite3.connect()'s
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        self._foreign_keys_off = False
        pool = self.pool
        if pool is not None and (connection := pool.take()) is not None:
            self._pool_of_connection = pool
            return connection
        self._pool_of_connection = pool
        return super().get_new_connection(conn_params)

    def _close(self) -> None:
        connection, pool = self.connection, self._pool_of_connection
        if (
            connection is not None
            and pool is not None
            and not self.in_atomic_block
            and not connection.in_transaction
            and not self._foreign_keys_off
            and pool.give(connection)
        ):
            return
        super()._close()  # type: ignore[misc]  # private to Django: not in django-stubs

    def disable_constraint_checking(self) -> bool:
        disabled = super().disable_constraint_checking()
        self._foreign_keys_off = self._foreign_keys_off or disabled
        return disabled

    def enable_constraint_checking(self) -> None:
        super().enable_constraint_checking()
        self._foreign_keys_off = False
