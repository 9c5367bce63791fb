"""System checks that ``runserver`` and ``manage.py check`` show at start."""

from __future__ import annotations

import sqlite3

from django.db import connection

from realtime.checks import sqlite_version


def test_the_running_sqlite_is_new_enough_for_the_event_log():
    assert sqlite_version(databases=["default"]) == []


def test_an_sqlite_too_old_for_the_event_log_is_an_error_on_sqlite_only(monkeypatch):
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.31.1")
    found = [message.id for message in sqlite_version(databases=["default"])]
    assert found == (["realtime.E001"] if connection.vendor == "sqlite" else [])
