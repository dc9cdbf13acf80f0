"""The migrations build exactly the schema the models describe.

Tests create their schema from the models; this test is what keeps the migrations honest:
upgrade a fresh database to head, then ask Alembic to compare it with the models. On
PostgreSQL it also checks the guards were applied by the migration run (RLS forced).
"""

import os
import tempfile

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from core.app import create_app
from core.db import tenant_tables
from core.extensions import db


def _fresh_database():
    if os.environ.get("LINLI_TEST_DATABASE") == "postgresql":
        owner = os.environ["LINLI_TEST_PG_OWNER_URL"]
        engine = create_engine(owner, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("DROP DATABASE IF EXISTS linli_migrations")
            conn.exec_driver_sql("CREATE DATABASE linli_migrations")
        engine.dispose()
        return owner.rsplit("/", 1)[0] + "/linli_migrations"
    return f"sqlite:///{tempfile.mkdtemp(prefix='linli-mig-')}/m.db"


def test_upgrade_to_head_matches_the_models():
    url = _fresh_database()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "x"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata
            )
            assert diff == [], f"models and migrations differ: {diff}"
            if connection.dialect.name == "postgresql":
                forced = dict(connection.exec_driver_sql(
                    "SELECT relname, relforcerowsecurity FROM pg_class WHERE relkind = 'r'"
                ).all())
                for table in tenant_tables():
                    assert forced.get(table.name) is True, f"{table.name} lacks forced RLS"
        db.engine.dispose()
