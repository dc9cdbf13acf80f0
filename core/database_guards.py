"""Rules the database itself enforces, re-applied after every migration (idempotent).

- row-level security on every tenant table (``core.tenancy.rls``);
- table rights for the app's runtime role (``DATABASE_APP_ROLE``), granted anew;
- whatever a capability registers with ``guard`` (the ledger's append-only triggers).
"""

_guards = []


def guard(fn):
    """Register ``fn(connection)``: must be idempotent and check the dialect itself."""
    if fn not in _guards:
        _guards.append(fn)
    return fn


def grant_app_role(connection) -> None:
    """The app's runtime role reads and writes rows; it owns nothing and alters nothing."""
    from flask import current_app

    role = current_app.config.get("DATABASE_APP_ROLE")
    if connection.dialect.name != "postgresql" or not role:
        return
    quoted = connection.dialect.identifier_preparer.quote(role)
    connection.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {quoted}")
    connection.exec_driver_sql(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"
    )
    connection.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")


def apply_guards(connection) -> None:
    from core.tenancy.rls import install_policies

    install_policies(connection)
    grant_app_role(connection)
    for fn in _guards:
        fn(connection)
