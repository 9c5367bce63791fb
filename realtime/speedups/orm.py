"""Rows read with statements built once, turned into model instances as the ORM would.

``Model.objects.get(pk=...)`` builds, compiles and runs a new query every time: about 180 µs on
SQLite, of which the database's part is about 20. The write path reads rows by primary key
again and again: the JWT's user on every API request, the records a request names by id, the
check in ``full_clean()`` that each foreign key's target exists, and (in ``realtime``) the
events a numbering statement returns.

- ``get()`` reads a row with a SELECT built once per model and database (about 25 µs);
- ``exists()`` asks whether there is such a row (about 15 µs, where
  ``filter(pk=...).exists()`` costs 130);
- ``instances()`` turns rows that hold every concrete field, in order (a ``SELECT`` or
  ``RETURNING`` of them all), into instances, with the ORM's own converters for each column.

Rows as the model's ``_base_manager`` sees them: no default-manager filter. Use these only for
models whose default manager does not filter rows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class _Shape:
    """How a row of every concrete field of a model reads back."""

    columns: str  # the quoted, table-qualified columns, for a SELECT or a RETURNING
    attnames: list[str]
    converters: list[tuple[int, list[Callable[..., Any]], Any]]  # (column index, converters, column)


@functools.cache
def _shape(model: type[models.Model], alias: str) -> _Shape:
    # The converters are the ORM's for this database; they read the connection's settings (its
    # time zone), never its state, so one list serves every thread.
    connection = connections[alias]
    quote = connection.ops.quote_name
    opts = model._meta
    converters = []
    for index, field in enumerate(opts.concrete_fields):
        column = field.get_col(opts.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, found, column))
    columns = ", ".join(f"{quote(opts.db_table)}.{quote(field.column)}" for field in opts.concrete_fields)
    return _Shape(columns, [field.attname for field in opts.concrete_fields], converters)


def returning_columns(model: type[models.Model], alias: str) -> str:
    """Every concrete column of ``model``, table-qualified, in the order ``instances()`` reads."""
    return _shape(model, alias).columns


def instances(model: type[M], alias: str, rows: Iterable[Sequence[Any]]) -> list[M]:
    """Model instances from rows holding every concrete field of ``model``, in order."""
    shape = _shape(model, alias)
    connection = connections[alias]
    found = []
    for row in rows:
        values = list(row)
        for index, converters, column in shape.converters:
            for convert in converters:
                values[index] = convert(values[index], column, connection)
        found.append(model.from_db(alias, shape.attnames, values))
    return found


@functools.cache
def _select(model: type[models.Model], alias: str) -> str:
    quote = connections[alias].ops.quote_name
    opts = model._meta
    return f"SELECT {_shape(model, alias).columns} FROM {quote(opts.db_table)} WHERE {quote(opts.pk.column)} = %s"


@functools.cache
def _exists(model: type[models.Model], alias: str) -> str:
    quote = connections[alias].ops.quote_name
    opts = model._meta
    return f"SELECT 1 FROM {quote(opts.db_table)} WHERE {quote(opts.pk.column)} = %s LIMIT 1"


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


def _row_by_pk(model: type[models.Model], pk: Any, alias: str, statement: Callable[..., str]) -> Any | None:
    connection = connections[alias]
    param = _pk_param(model, pk, connection)
    if param is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(statement(model, alias), [param])
        return cursor.fetchone()


def exists(model: type[models.Model], pk: Any, *, using: str | None = None) -> bool:
    """Whether ``model`` has a row whose primary key is ``pk``."""
    return _row_by_pk(model, pk, using or router.db_for_read(model), _exists) is not None


def get(model: type[M], pk: Any) -> M | None:
    """The row of ``model`` whose primary key is ``pk``, or None. A ``pk`` that is no value of
    the primary key's type raises ``ValidationError``, as ``to_python`` does."""
    alias = router.db_for_read(model)
    row = _row_by_pk(model, pk, alias, _select)
    return None if row is None else instances(model, alias, [row])[0]
