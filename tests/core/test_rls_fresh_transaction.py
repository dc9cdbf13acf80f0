"""What ``core.tenancy.rls`` relies on when it sends no settings at the start of an unscoped
transaction: on PostgreSQL, settings made with ``set_config(..., true)`` end with their
transaction, so the next transaction on the same connection sees no tenant rows."""

from sqlalchemy import text

from core.extensions import db
from core.tenancy.context import TenantScope
from core.tenancy.rls import apply_scope
from tests.conftest import BACKEND


def test_a_transaction_after_a_scoped_one_starts_unscoped(app, world):
    with app.app_context(), db.engine.connect() as conn:
        with conn.begin():
            apply_scope(conn, TenantScope(community_id=world.ids["c1"]))
            scoped = conn.execute(text("SELECT count(*) FROM members")).scalar()
        with conn.begin():
            after = conn.execute(text("SELECT count(*) FROM members")).scalar()
    assert scoped > 0
    if BACKEND == "postgresql":
        assert after == 0
    else:  # SQLite has no row-level security; the ORM layer (scoping.py) filters there
        assert after >= scoped
