"""core.loaded: rows read with Core statements become the session's objects, scope-checked."""

import pytest
from sqlalchemy import inspect, select

from core.extensions import db
from core.identity.models import Member, User
from core.loaded import as_loaded
from core.tenancy.context import use_community
from core.tenancy.scoping import CrossTenantAccess

MEMBERS = Member.__table__


def _member_row(member_id, *columns):
    table_columns = [MEMBERS.c[name] for name in columns] if columns else [MEMBERS]
    return db.session.connection().execute(select(*table_columns).where(MEMBERS.c.id == member_id)).one()


def _a_member_of(world, community):
    return next(v for k, v in world.ids.items() if k.startswith(f"member:{community}_"))


def test_a_row_becomes_a_persistent_clean_object(world, ctx):
    member_id = _a_member_of(world, "c1")
    with use_community(world.ids["c1"]):
        row = _member_row(member_id)
        member = as_loaded(Member, row._mapping)
        state = inspect(member)
        assert state.persistent and not db.session.dirty
        assert member.id == member_id and member.name == row.name
        # the session's own query answers with the same object
        assert db.session.scalars(select(Member).where(Member.id == member_id)).one() is member


def test_the_object_the_session_holds_is_returned(world, ctx):
    member_id = _a_member_of(world, "c1")
    with use_community(world.ids["c1"]):
        held = db.session.scalars(select(Member).where(Member.id == member_id)).one()
        assert as_loaded(Member, _member_row(member_id)._mapping) is held


def test_columns_left_out_load_on_first_use(world, ctx):
    member_id = _a_member_of(world, "c1")
    with use_community(world.ids["c1"]):
        full = dict(_member_row(member_id)._mapping)
        db.session.expunge_all()
        member = as_loaded(Member, _member_row(member_id, "community_id", "id")._mapping)
        assert "name" in inspect(member).unloaded
        assert member.name == full["name"]  # read from the database now


def test_a_row_of_another_community_is_refused(world, ctx):
    other = _a_member_of(world, "c2")
    with use_community(world.ids["c2"]):
        row = _member_row(other)
    with use_community(world.ids["c1"]), pytest.raises(CrossTenantAccess):
        as_loaded(Member, row._mapping)


def test_global_rows_need_no_scope(world, ctx):
    row = db.session.connection().execute(select(User.__table__).limit(1)).one()
    user = as_loaded(User, row._mapping)
    assert user.id == row.id and inspect(user).persistent
