"""Prebuilt Core statements run straight on the driver's cursor, for the hot paths.

On a statement that PostgreSQL answers in tens of microseconds, SQLAlchemy's
``Connection.execute`` costs about as much again in Python: the statement's cache key, an
execution context, result metadata built from the cursor's description (psycopg makes an
object per column for it), a Row per row. The counter, the API token and the audit row run
their statements on every request, so those are ``DriverStatement``: compiled once per
dialect, then each run only does what SQLAlchemy would have done to the values (the
types' bind processors in, their result processors out) around the driver's ``execute``.

What stays SQLAlchemy's: the statement is written and compiled by it (no SQL strings here),
it runs on the session's connection inside its transaction (so the tenant settings of
core.tenancy.rls apply), and errors go through the connection's own handling
(``_cursor_execute``: the same exception wrapping, and a lost connection invalidated), so a
caller sees exactly what ``execute`` would have raised.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from sqlalchemy.exc import InvalidRequestError

from core.extensions import db


@dataclass(slots=True)
class DriverResult:
    rows: list[dict]
    rowcount: int

    def first(self) -> dict | None:
        return self.rows[0] if self.rows else None


class _Plan:
    """The statement compiled for one dialect, and how to convert its values."""

    __slots__ = ("compiled", "sql", "binds", "positions", "keys", "result_processors")

    def __init__(self, statement, dialect, column_keys):
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        if compiled.escaped_bind_names or compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("DriverStatement: escaped, literal or expanding parameters are not supported")
        self.compiled = compiled
        self.sql = compiled.string
        processors = compiled._bind_processors
        # what construct_params works out on every call, worked out once: each parameter's
        # name in the SQL, the key its value comes under, its value in the statement if it
        # has one (VoucherStatus.ISSUED in a WHERE), and its type's processor
        binds = {}
        for bind, name in compiled.bind_names.items():
            if bind.callable is not None:
                raise ValueError("DriverStatement: parameters computed by a callable are not supported")
            binds[name] = (name, bind.key, bind.value, bind.required, processors.get(name))
        self.binds = tuple(binds.values())
        self.positions = tuple(compiled.positiontup) if compiled.positional else None
        self.keys = tuple(column.key for column in getattr(statement, "selected_columns", ()))
        self.result_processors = None  # from the first result's column types (the driver's)

    def values(self, params: dict):
        values = {}
        for name, key, value, required, process in self.binds:
            if key in params:
                value = params[key]
            elif required:
                raise InvalidRequestError(f"A value is required for bind parameter {key!r}", code="cd3x")
            values[name] = process(value) if process is not None else value
        if self.positions is not None:
            return tuple(values[name] for name in self.positions)
        return values

    def processors_for(self, description, dialect):
        if len(description) != len(self.keys):
            raise RuntimeError(f"DriverStatement: {len(description)} columns returned, expected {len(self.keys)}")
        columns = self.compiled.statement.selected_columns
        return tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, column_description[1])
            for column, column_description in zip(columns, description, strict=True)
        )


class DriverStatement:
    """A Core statement built once and run with values on the session's connection (or the
    one given): ``run(params)`` returns rows as dicts keyed like ``row._mapping`` and the row
    count. ``column_keys`` names an INSERT's columns (those given at each run)."""

    def __init__(self, statement, column_keys: tuple[str, ...] | None = None):
        self.statement = statement
        self.column_keys = list(column_keys) if column_keys is not None else None
        # one plan per dialect (each engine has its own: tests build many apps)
        self._plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _plan(self, dialect) -> _Plan:
        plan = self._plans.get(dialect)
        if plan is None:
            plan = self._plans[dialect] = _Plan(self.statement, dialect, self.column_keys)
        return plan

    def run(self, params: dict, connection=None) -> DriverResult:
        connection = connection if connection is not None else db.session.connection()
        dialect = connection.dialect
        plan = self._plan(dialect)
        try:
            values = plan.values(params)
        except Exception as exc:  # noqa: BLE001 - a value its type refuses: StatementError, as execute
            connection._handle_dbapi_exception(exc, plan.sql, params, None, None)
        cursor = connection.connection.cursor()
        try:
            connection._cursor_execute(cursor, plan.sql, values)
            rows = []
            if plan.keys:
                try:
                    fetched = cursor.fetchall()
                except Exception as exc:  # noqa: BLE001 - wrapped as SQLAlchemy would
                    connection._handle_dbapi_exception(exc, plan.sql, values, cursor, None)
                processors = plan.result_processors
                if processors is None:
                    processors = plan.result_processors = plan.processors_for(cursor.description, dialect)
                keys = plan.keys
                rows = [
                    {key: (process(value) if process is not None else value)
                     for key, process, value in zip(keys, processors, row, strict=True)}
                    for row in fetched
                ]
            return DriverResult(rows, cursor.rowcount)
        finally:
            cursor.close()
