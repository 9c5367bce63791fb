"""The event log's writes and reads, with statements built once instead of by the ORM each time.

- ``insert()``: what ``instance.save(force_insert=True)`` does for a model without save signals'
  receivers that matter (the event log's rows), minus the ORM building the same INSERT again
  for every row (three per API write): 239 → 131 µs an event on SQLite, ≈ 410 → 280 on
  PostgreSQL. Only on databases that can return columns from an INSERT.
- ``instances()``: rows that hold every concrete field, in order (a ``RETURNING`` of them all,
  ``returning_columns()``), turned into instances with the ORM's own converters for each column,
  so that the numbering statement's result needs no second read.

Internals used (pinned by tests/realtime/speedups/test_django_orm.py): ``Field.get_col``, the
converters ``connection.ops.get_db_converters(col)`` and ``col.get_db_converters(connection)``
called as ``convert(value, expression, connection)``, ``Field.pre_save`` /
``get_db_prep_save``, and ``Model._state``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections, models

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


def insert(instance: models.Model, connection: Any) -> None:
    """Insert ``instance`` as a new row and set its primary key, as ``save(force_insert=True)``
    does, but without sending ``pre_save``/``post_save``. Needs
    ``connection.features.can_return_columns_from_insert``."""
    model = type(instance)
    fields = _insert_fields(model)
    params = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(model, connection), params)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding, instance._state.db = False, connection.alias


@functools.cache
def _insert_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [field for field in model._meta.concrete_fields if not field.primary_key]


def _insert_sql(model: type[models.Model], connection: Any) -> str:
    """The INSERT for a row of ``model``, built once per kind of database."""
    sql = _INSERT_SQL.get((model, connection.vendor))
    if sql is None:
        quote, fields = connection.ops.quote_name, _insert_fields(model)
        sql = _INSERT_SQL[model, connection.vendor] = (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(model._meta.pk.column)}"
        )
    return sql


_INSERT_SQL: dict[tuple[type[models.Model], str], str] = {}
