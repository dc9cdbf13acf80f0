"""PostgreSQL row-level security on tenant tables (the third layer).

The app connects as a role that owns nothing and cannot bypass RLS. Every transaction
carries the tenant scope as transaction-local settings (``set_config(..., true)``, which is
``SET LOCAL``: it ends with the transaction, so a pooled connection, PgBouncer in transaction
mode included, never carries one tenant's setting into another's transaction). A query
without a scope sees no tenant rows.
"""

from sqlalchemy import bindparam, event, func, select
from sqlalchemy.orm import Session

from core.driver_sql import DriverStatement
from core.tenancy.context import TenantScope, current_scope, on_scope_change

# Every scoped transaction sends this: straight to the driver on the transaction's own
# connection (core.driver_sql), as SQLAlchemy's statement and result machinery cost more CPU
# than the round trip itself (bench/ledger.py).
_SETTINGS = DriverStatement(select(
    func.set_config("app.community_id", bindparam("community"), True),
    func.set_config("app.merchant_id", bindparam("merchant"), True),
    func.set_config("app.all_communities", bindparam("all"), True),
))


def apply_scope(connection, scope: TenantScope | None = None) -> None:
    if connection.dialect.name != "postgresql":
        return
    scope = scope or current_scope()
    _SETTINGS.run({
        "community": str(scope.community_id or ""),
        "merchant": str(scope.merchant_id or ""),
        "all": "on" if scope.all_communities else "off",
    }, connection=connection)


@event.listens_for(Session, "after_begin")
def _scope_new_transaction(session, transaction, connection):
    # A transaction starts with no scope: the settings are only ever set transaction-locally,
    # so whatever a previous transaction on this connection set ended with it. Sending the
    # empty scope would be a round trip that changes nothing (most requests begin unscoped,
    # before the URL names a community or merchant), so only a real scope is sent here.
    scope = current_scope()
    if scope != EMPTY:
        apply_scope(connection, scope)


EMPTY = TenantScope()


def _rescope_open_session(scope: TenantScope) -> None:
    # The scope can change inside a transaction (a request loads the user, then learns the
    # community from the URL): hand the new scope to the open transaction at once.
    from core.extensions import db

    try:
        session = db.session()
    except RuntimeError:  # no app context: nothing is open
        return
    if session.in_transaction():
        for connection in _open_connections(session):
            apply_scope(connection, scope)


def _open_connections(session):
    transaction = session.get_transaction()
    if transaction is None:
        return []
    # The map holds each connection under more than one key (the engine and the connection
    # itself): hand the scope to each connection once, not once per key.
    return list({id(conn): conn for conn, *_ in transaction._connections.values()}.values())


on_scope_change(_rescope_open_session)


def _predicate(merchant_visible: bool) -> str:
    clauses = [
        "current_setting('app.all_communities', true) = 'on'",
        "community_id = NULLIF(current_setting('app.community_id', true), '')::uuid",
    ]
    if merchant_visible:
        clauses.append("merchant_id = NULLIF(current_setting('app.merchant_id', true), '')::uuid")
    return " OR ".join(f"({c})" for c in clauses)


def policy_statements(table_name: str, merchant_visible: bool = False) -> list[str]:
    predicate = _predicate(merchant_visible)
    return [
        f"ALTER TABLE {table_name} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table_name} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tenant_isolation ON {table_name}",
        f"CREATE POLICY tenant_isolation ON {table_name} USING ({predicate}) "
        f"WITH CHECK ({predicate})",
    ]


def install_policies(connection, tables=None) -> None:
    """Enable RLS on the given tenant tables (all of them by default). Idempotent."""
    if connection.dialect.name != "postgresql":
        return
    from core.db import merchant_visible_tables, tenant_tables

    merchant_names = {t.name for t in merchant_visible_tables()}
    for table in tables or tenant_tables():
        name = table if isinstance(table, str) else table.name
        for statement in policy_statements(name, name in merchant_names):
            connection.exec_driver_sql(statement)
