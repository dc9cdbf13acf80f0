"""core.driver_sql: prebuilt statements on the driver's cursor answer exactly as
``Connection.execute`` would (values, types, errors), inside the session's transaction."""

import os
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, create_engine, exc, insert, select, text
from sqlalchemy.pool import NullPool

from core.audit.models import AuditEvent
from core.driver_sql import DriverStatement
from core.extensions import db
from core.identity.models import Member, Role
from core.tenancy.context import use_community
from core.types import utcnow
from tests.conftest import BACKEND

MEMBERS, EVENTS = Member.__table__, AuditEvent.__table__
postgresql_only = pytest.mark.skipif(BACKEND != "postgresql", reason="row-level security and a server to drop")

_MEMBERS_OF = select(MEMBERS).where(MEMBERS.c.community_id == bindparam("community")).order_by(MEMBERS.c.id)
_MEMBERS_IN_ROLE = select(MEMBERS.c.id, MEMBERS.c.role).where(MEMBERS.c.role == Role.RESIDENT)
_EVENT = select(EVENTS.c.created_at, EVENTS.c.data, EVENTS.c.event).where(EVENTS.c.id == bindparam("id"))
_COLUMNS = ("id", "created_at", "event", "actor_id", "community_id", "merchant_id", "data")
_INSERT_EVENT = DriverStatement(insert(EVENTS), column_keys=_COLUMNS)


def _event(**changes):
    values = {"id": uuid.uuid4(), "created_at": utcnow(), "event": "test.driver", "actor_id": None,
              "community_id": None, "merchant_id": None, "data": {"points": 5}}
    return values | changes


def test_rows_are_what_execute_returns(world, ctx):
    with use_community(world.ids["c1"]):
        params = {"community": world.ids["c1"]}
        expected = [dict(row._mapping) for row in db.session.connection().execute(_MEMBERS_OF, params)]
        rows = DriverStatement(_MEMBERS_OF).run(params).rows
    assert len(rows) > 1 and rows == expected
    # the types' result processors ran: enums and UUIDs, not the stored strings
    assert isinstance(rows[0]["role"], Role) and isinstance(rows[0]["id"], uuid.UUID)


def test_a_value_in_the_statement_goes_through_its_type(world, ctx):
    with use_community(world.ids["c1"]):
        rows = DriverStatement(_MEMBERS_IN_ROLE).run({}).rows
    assert rows and {row["role"] for row in rows} == {Role.RESIDENT}


def test_an_insert_stores_values_through_their_types(ctx):
    at = datetime(2026, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))
    values = _event(created_at=at, data={"voucher": "v1", "points": 100})
    result = _INSERT_EVENT.run(values)
    assert result.rowcount == 1 and result.rows == []
    row = DriverStatement(_EVENT).run({"id": values["id"]}).first()
    assert row == {"created_at": at.astimezone(UTC), "data": {"voucher": "v1", "points": 100},
                   "event": "test.driver"}
    assert row["created_at"].tzinfo is not None
    assert DriverStatement(_EVENT).run({"id": uuid.uuid4()}).first() is None


def test_it_runs_in_the_sessions_transaction(ctx):
    values = _event()
    savepoint = db.session.begin_nested()
    _INSERT_EVENT.run(values)
    assert db.session.get(AuditEvent, values["id"]) is not None
    savepoint.rollback()
    assert db.session.connection().execute(select(EVENTS.c.id).where(EVENTS.c.id == values["id"])).first() is None


def test_a_value_its_type_refuses_raises_as_execute_does(ctx):
    naive = _event(created_at=datetime(2026, 3, 1, 8, 30))
    with pytest.raises(exc.StatementError) as expected:
        db.session.connection().execute(insert(EVENTS), naive)
    with pytest.raises(exc.StatementError) as got:
        _INSERT_EVENT.run(naive)
    assert type(got.value.orig) is type(expected.value.orig) is ValueError


def test_a_missing_value_is_refused(ctx):
    with pytest.raises(exc.StatementError, match="A value is required for bind parameter 'id'"):
        DriverStatement(_EVENT).run({})


def test_a_database_error_is_sqlalchemys(ctx):
    values = _event()
    _INSERT_EVENT.run(values)
    savepoint = db.session.begin_nested()
    with pytest.raises(exc.IntegrityError):
        _INSERT_EVENT.run(values)  # the same primary key again
    savepoint.rollback()


@postgresql_only
def test_row_level_security_applies(world, ctx):
    every_member = DriverStatement(select(MEMBERS.c.community_id))
    with use_community(world.ids["c1"]):
        communities = {row["community_id"] for row in every_member.run({}).rows}
    assert communities == {world.ids["c1"]}


@postgresql_only
def test_a_lost_connection_is_invalidated_as_execute_would():
    engine = create_engine(os.environ["LINLI_TEST_PG_APP_URL"])
    try:
        with engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
            with create_engine(os.environ["LINLI_TEST_PG_APP_URL"], poolclass=NullPool).connect() as killer:
                assert killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
            with pytest.raises(exc.OperationalError) as lost:
                DriverStatement(select(EVENTS.c.id).where(EVENTS.c.id == bindparam("id"))).run(
                    {"id": uuid.uuid4()}, connection=connection)
            assert lost.value.connection_invalidated and connection.invalidated
    finally:
        engine.dispose()
