"""The test harness.

One suite, two databases: ``LINLI_TEST_DATABASE=sqlite`` (default) or ``postgresql`` (then
``LINLI_TEST_PG_OWNER_URL`` and ``LINLI_TEST_PG_APP_URL`` from ``scripts/testdb.sh``; the app
connects as the non-owner role, so row-level security is in force).

The schema is created once per run (as the owner), and a *world* is built once and
committed: two districts, a community in each (plus a third), staff and residents of each
account kind, and a merchant that serves both. Every test then runs inside a transaction that
is rolled back, so tests can change anything. Tests that need real commits from many threads
use ``committed`` (see ``tests/helpers.py``).
"""

import os
import tempfile

os.environ.setdefault("LINLI_FAST_PASSWORD_HASH", "1")

import pytest  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402

import tests.merchants.world_steps  # noqa: E402,F401  (registers the marketplace's world step)
from core.app import create_app  # noqa: E402
from core.extensions import db  # noqa: E402
from tests.world import World, build_world  # noqa: E402

# Capabilities' parts of the world: modules that register with ``world_step`` on import,
# imported before the world is built so it is the same whichever tests are collected.
# Each capability's part of the test world; imported before the world is built, so the world
# is the same whichever tests a run selects.
WORLD_STEP_MODULES = ["tests.tenants.rules.world", "tests.tenants.shop.world", "tests.world_community",
                      "tests.tenants.onboarding.world", "tests.payments.world",
                      "tests.merchants.settlement.world"]

BACKEND = os.environ.get("LINLI_TEST_DATABASE", "sqlite")


def _database_config(tmp_dir: str) -> dict:
    if BACKEND == "postgresql":
        owner = os.environ["LINLI_TEST_PG_OWNER_URL"]
        app_url = os.environ["LINLI_TEST_PG_APP_URL"]
        _reset_postgres(owner)
        return {
            "SQLALCHEMY_DATABASE_URI": app_url,
            "MIGRATIONS_DATABASE_URL": owner,
            "DATABASE_APP_ROLE": "linli_app",
        }
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_dir}/test.db"}


def _reset_postgres(owner_url: str) -> None:
    """Start each run from an empty schema (the cluster may be reused between runs)."""
    engine = create_engine(owner_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


@pytest.fixture(scope="session")
def app():
    tmp_dir = tempfile.mkdtemp(prefix="linli-test-")
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "localhost",
        "UPLOAD_FOLDER": f"{tmp_dir}/uploads",
        "EXTRA_CAPABILITIES": ["tests.failing_routes"],  # pages that fail on purpose
        **_database_config(tmp_dir),
    }
    app = create_app(config)
    with app.app_context():
        _create_schema(app)
    return app


def _create_schema(app) -> None:
    """The models' schema plus the database guards (RLS, grants, triggers), as the owner.

    ``tests/core/test_migrations.py`` checks separately that the migrations build the same
    schema, so capabilities can be developed before their migration is written.
    """
    from core.database_guards import apply_guards

    owner_url = app.config.get("MIGRATIONS_DATABASE_URL")
    engine = create_engine(owner_url) if owner_url else db.engine
    with engine.begin() as connection:
        db.metadata.create_all(connection)
        apply_guards(connection)
    if owner_url:
        engine.dispose()


@pytest.fixture(scope="session")
def world(app) -> World:
    import importlib

    for name in WORLD_STEP_MODULES:
        importlib.import_module(name)
    with app.app_context():
        return build_world()


@pytest.fixture(autouse=True)
def _per_test_state(app):
    """Fresh throttles; and the session app's Celery as the default (a test that builds
    another app, e.g. to check migrations, makes that app's Celery the current one)."""
    from core import throttle

    throttle.reset(app)
    app.extensions["celery"].set_default()
    app.extensions["celery"].set_current()
    yield


@pytest.fixture
def rollback(app, world):
    """Run the test inside one outer transaction that is rolled back at the end.

    The app's engine is swapped for that connection; every session the app opens (one per
    request, as in production) joins it through a SAVEPOINT, so an action's commit is real to
    the code under test and undone afterwards.
    """
    engines = app.extensions["sqlalchemy"]._app_engines[app]
    engine = engines[None]
    connection = engine.connect()
    outer = connection.begin()
    engines[None] = connection
    factory = db.session.session_factory
    factory.kw["join_transaction_mode"] = "create_savepoint"
    try:
        yield connection
    finally:
        engines[None] = engine
        factory.kw.pop("join_transaction_mode", None)
        outer.rollback()
        connection.close()


@pytest.fixture
def ctx(app, rollback):
    """An app context for calling actions and queries directly."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app, rollback):
    return app.test_client()


@pytest.fixture
def web(app, rollback, world):
    """A browser-like client: logs in through the login form, keeps the CSRF token."""
    from tests.helpers import WebClient

    return WebClient(app, world)


@pytest.fixture
def api(app, rollback, world):
    """A JSON client holding bearer tokens of the world's users (``api.as_("c1_admin")``)."""
    from tests.helpers import ApiClient

    return ApiClient(app, world)
