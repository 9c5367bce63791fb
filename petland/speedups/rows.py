"""Rows read by primary key with statements built once, turned into model instances as the ORM
would.

``Model.objects.get(pk=...)`` builds, compiles and runs a new query every time: about 180 µs on
SQLite, of which the database's part is about 20. The write path reads rows by primary key
again and again: the JWT's user on every API request, the records a request names by id, and
the check in ``full_clean()`` that each foreign key's target exists.

- ``get()`` reads a row with a SELECT built once per model and database (about 25 µs);
- ``exists()`` asks whether there is such a row (about 15 µs, where
  ``filter(pk=...).exists()`` costs 130).

Rows as the model's ``_base_manager`` sees them: no default-manager filter. Use these only for
models whose default manager does not filter rows.

Internals used (pinned by tests/petland/speedups/test_rows.py): ``Field.get_col``, the
converters ``connection.ops.get_db_converters(col)`` and ``col.get_db_converters(connection)``
called as ``convert(value, expression, connection)``, and ``connection.ops.integer_field_range``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class _Statements:
    """How a row of a model is read by primary key on one database."""

    select: str  # every concrete column, in order
    exists: str
    attnames: list[str]
    converters: list[tuple[int, list[Callable[..., Any]], Any]]  # (column index, converters, column)


@functools.cache
def _statements(model: type[models.Model], alias: str) -> _Statements:
    # The converters are the ORM's for this database; they read the connection's settings (its
    # time zone), never its state, so one list serves every thread.
    connection = connections[alias]
    quote = connection.ops.quote_name
    opts = model._meta
    table, pk = quote(opts.db_table), quote(opts.pk.column)
    converters = []
    for index, field in enumerate(opts.concrete_fields):
        column = field.get_col(opts.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, found, column))
    columns = ", ".join(f"{table}.{quote(field.column)}" for field in opts.concrete_fields)
    return _Statements(
        select=f"SELECT {columns} FROM {table} WHERE {pk} = %s",
        exists=f"SELECT 1 FROM {table} WHERE {pk} = %s LIMIT 1",
        attnames=[field.attname for field in opts.concrete_fields],
        converters=converters,
    )


def _in_range(field: models.Field[Any, Any], value: Any, connection: Any) -> bool:
    kind = field.get_internal_type()
    if kind not in connection.ops.integer_field_ranges:
        return True
    low, high = connection.ops.integer_field_range(kind)
    return (low is None or value >= low) and (high is None or value <= high)


def _pk_param(model: type[models.Model], pk: Any, connection: Any) -> Any | None:
    """``pk`` as the database takes it; None when the column cannot hold it (the ORM's lookup
    then finds nothing too). Raises ``ValidationError`` for a value of the wrong type."""
    pk_field = model._meta.pk
    value = pk_field.to_python(pk)
    if value is None or not _in_range(pk_field, value, connection):
        return None
    return pk_field.get_db_prep_value(value, connection)


def _row(model: type[models.Model], pk: Any, alias: str, *, whole: bool) -> tuple[Any, ...] | None:
    connection = connections[alias]
    param = _pk_param(model, pk, connection)
    if param is None:
        return None
    statements = _statements(model, alias)
    with connection.cursor() as cursor:
        cursor.execute(statements.select if whole else statements.exists, [param])
        return cursor.fetchone()


def exists(model: type[models.Model], pk: Any, *, using: str | None = None) -> bool:
    """Whether ``model`` has a row whose primary key is ``pk``."""
    return _row(model, pk, using or router.db_for_read(model), whole=False) is not None


def get(model: type[M], pk: Any) -> M | None:
    """The row of ``model`` whose primary key is ``pk``, or None. A ``pk`` that is no value of
    the primary key's type raises ``ValidationError``, as ``to_python`` does."""
    alias = router.db_for_read(model)
    row = _row(model, pk, alias, whole=True)
    if row is None:
        return None
    statements, connection = _statements(model, alias), connections[alias]
    values = list(row)
    for index, converters, column in statements.converters:
        for convert in converters:
            values[index] = convert(values[index], column, connection)
    return model.from_db(alias, statements.attnames, values)
