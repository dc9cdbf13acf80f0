"""The one helper every action uses to leave an audit row (in the action's transaction)."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy import insert

from core.audit.models import AuditEvent
from core.driver_sql import DriverStatement
from core.extensions import db
from core.ids import new_id
from core.tenancy.context import current_scope
from core.types import utcnow


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, uuid.UUID | Decimal | datetime | date):
        return str(value)
    return value


# On the table, not the entity: a Core INSERT skips the ORM's bulk-insert machinery, and one
# statement built once keeps its compiled form cached. Every action runs it, so the single-row
# form goes straight to the driver (core.driver_sql).
_INSERT = insert(AuditEvent.__table__)
_COLUMNS = ("id", "created_at", "event", "actor_id", "community_id", "merchant_id", "data")
_INSERT_ONE = DriverStatement(_INSERT, column_keys=_COLUMNS)


def record(event: str, actor=None, *, community_id=None, merchant_id=None, **data) -> None:
    """Insert the audit row now, in the caller's transaction. A plain INSERT rather than an
    object left for the session's flush: the row is never read back or changed, and the
    unit of work costs more than the insert itself on every action."""
    scope = current_scope()
    _INSERT_ONE.run({
        "id": new_id(),
        "created_at": utcnow(),
        "event": event,
        "actor_id": getattr(actor, "id", actor),
        "community_id": community_id or scope.community_id,
        "merchant_id": merchant_id or scope.merchant_id,
        "data": _plain(data),
    })


def record_many(event: str, actor=None, entries=()) -> None:
    """One audit row per entry (``{"community_id", "merchant_id", **data}``), all in one
    executemany: for actions that change many things at once (closing a month issues
    thousands of statements), where a round trip per row would cost more than the action."""
    scope = current_scope()
    now = utcnow()
    actor_id = getattr(actor, "id", actor)
    rows = []
    for entry in entries:
        data = dict(entry)
        community_id = data.pop("community_id", None) or scope.community_id
        merchant_id = data.pop("merchant_id", None) or scope.merchant_id
        rows.append({"id": new_id(), "created_at": now, "event": event, "actor_id": actor_id,
                     "community_id": community_id, "merchant_id": merchant_id, "data": _plain(data)})
    if rows:  # one executemany: compiled once, the rows sent in a pipeline (psycopg)
        db.session.execute(_INSERT, rows)
