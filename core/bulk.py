"""Set-based writes for batch actions (closing an activity pays 10,000 people at once).

On PostgreSQL each helper is ONE statement whatever the number of rows: the values travel as
one array per column and ``unnest(...)`` turns them back into rows, so there is no
per-row SQL, no per-row parameter and no compile cost that grows with the batch. On SQLite
(embedded, in-process) plain ``executemany`` is just as fast. The statements are SQLAlchemy
Core on ``Table`` objects, so row-level security still filters them on PostgreSQL; callers
name the community in every ``where`` themselves, as access functions do.
"""

import json
from datetime import datetime

from sqlalchemy import JSON, Text, bindparam, cast, column, func, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Enum as EnumType

from core.extensions import db


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _array_type(col):
    if isinstance(col.type, JSON):
        return Text()
    if isinstance(col.type, EnumType):
        return Text()
    return col.type


def _plain(col, value):
    if value is None:
        return None
    if isinstance(col.type, JSON):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(col.type, EnumType):
        return getattr(value, "value", value)
    return value


def _constants(names, rows) -> dict:
    """Columns with one value in every row: sent once, not as an array of 10,000 copies."""
    first = rows[0]
    return {n: first[n] for n in names if all(r[n] == first[n] for r in rows)}


# Each column's values travel as ONE text parameter, split by the server
# (``string_to_array``): a driver adapting a list element by element costs more than the
# server's INSERT itself at this size. NULL is written as the null marker.
SEPARATOR, NULL = "\x1f", "\x1e"


def _converter(col):
    """value -> its text in the joined parameter, chosen once per column."""
    if isinstance(col.type, JSON):
        return lambda v: json.dumps(v, ensure_ascii=False)
    if isinstance(col.type, EnumType):
        return lambda v: str(getattr(v, "value", v))
    python_type = _python_type(col)
    if python_type is bool:
        return lambda v: "t" if v else "f"
    if python_type is datetime:
        return datetime.isoformat
    if python_type is str:
        return _checked_text
    return str


def _python_type(col):
    try:
        return col.type.python_type
    except NotImplementedError:
        return None


def _checked_text(value) -> str:
    text = str(value)
    if SEPARATOR in text or NULL in text:
        raise ValueError("a value holds a control character used as a separator")
    return text


def _joined(col, values) -> str:
    convert = _converter(col)
    return SEPARATOR.join(NULL if v is None else convert(v) for v in values)


def _array(col, values, name=None):
    """The values as one array of the column's type: one text parameter, split by the server."""
    joined = bindparam(name, _joined(col, values), type_=Text())
    return cast(func.string_to_array(joined, SEPARATOR, NULL), ARRAY(_array_type(col)))


def _rows_source(table, names, rows, prefix="v"):
    """``unnest(a1, a2, ...) AS v(n1, n2, ...)``, one text parameter per column."""
    arrays = []
    for name in names:
        col = table.c[name]
        arrays.append(_array(col, [r[name] for r in rows], f"{prefix}_{name}"))
    columns = [column(name, _array_type(table.c[name])) for name in names]
    return func.unnest(*arrays).table_valued(*columns, name=prefix).render_derived(with_types=False)


def _typed(table, source, name):
    value = source.c[name]
    if isinstance(table.c[name].type, JSON):
        return cast(value, table.c[name].type)
    return value


def _constant(table, name, value):
    col = table.c[name]
    if isinstance(col.type, JSON):
        return cast(bindparam(f"c_{name}", _plain(col, value), type_=Text()), col.type)
    return bindparam(f"c_{name}", _plain(col, value), type_=_array_type(col))


def insert_rows(table, rows: list[dict], *, on_conflict_do_nothing: list[str] | None = None) -> None:
    """INSERT every row (all rows name the same columns)."""
    if not rows:
        return
    names = list(rows[0])
    if not _postgres():
        if on_conflict_do_nothing:
            from sqlalchemy.dialects import sqlite

            statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=on_conflict_do_nothing)
        else:
            statement = insert(table)
        db.session.execute(statement, rows)
        return
    constants = _constants(names, rows)
    varying = [n for n in names if n not in constants] or names[:1]
    source = _rows_source(table, varying, rows)
    values = [_typed(table, source, n) if n in varying else _constant(table, n, constants[n]) for n in names]
    statement = (postgresql.insert(table) if on_conflict_do_nothing else insert(table)).from_select(
        names, select(*values))
    if on_conflict_do_nothing:
        statement = statement.on_conflict_do_nothing(index_elements=on_conflict_do_nothing)
    db.session.execute(statement)


def update_rows(table, key: str, rows: list[dict], *, where=None) -> None:
    """UPDATE each row matched by ``key`` (its ``key`` value) with the row's other columns."""
    if not rows:
        return
    names = [n for n in rows[0] if n != key]
    if not _postgres():
        statement = update(table).where(table.c[key] == bindparam("_key"))
        if where is not None:
            statement = statement.where(where)
        statement = statement.values({n: bindparam(f"_v_{n}") for n in names})
        db.session.execute(statement, [{"_key": r[key], **{f"_v_{n}": r[n] for n in names}} for r in rows])
        return
    constants = _constants(names, rows)
    varying = [n for n in names if n not in constants]
    source = _rows_source(table, [key, *varying], rows)
    statement = update(table).where(table.c[key] == source.c[key])
    if where is not None:
        statement = statement.where(where)
    db.session.execute(statement.values({
        n: _typed(table, source, n) if n in varying else _constant(table, n, constants[n]) for n in names}))


def matching(col, values):
    """``col IN values`` for thousands of values: one array parameter on PostgreSQL."""
    values = list(values)
    if _postgres():
        return col == func.any(_array(col, values))
    return col.in_(values)
