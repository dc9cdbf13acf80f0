"""The ledger is append-only, enforced by the database: postings and transactions refuse
UPDATE and DELETE from anyone (triggers), and on PostgreSQL the app role has no such right."""

from flask import current_app

from core.database_guards import guard

APPEND_ONLY = ("ledger_postings", "ledger_transactions")


@guard
def append_only(connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION linli_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'ledger rows are append-only (%% on %%)', TG_OP, TG_TABLE_NAME; END $$"
        )
        role = current_app.config.get("DATABASE_APP_ROLE")
        for table in APPEND_ONLY:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            connection.exec_driver_sql(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION linli_append_only()"
            )
            if role:
                quoted = connection.dialect.identifier_preparer.quote(role)
                connection.exec_driver_sql(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {quoted}")
    elif connection.dialect.name == "sqlite":
        for table in APPEND_ONLY:
            for op in ("UPDATE", "DELETE"):
                connection.exec_driver_sql(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END"
                )
