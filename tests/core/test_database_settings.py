"""Engine settings chosen from the configuration (core/database.py), and the idle-connection
ping against a real server."""

import os

import pytest
from flask import Flask
from sqlalchemy import create_engine, exc, text

from core.database import configure, ping_idle_connections
from tests.conftest import BACKEND

PG = "postgresql+psycopg://linli_app:x@127.0.0.1:1/linli"


@pytest.mark.parametrize("pre_ping, idle, expected", [
    (None, None, False),  # default: the idle ping (installed on the engine) instead
    (True, 10, False),
    (True, 0, True),      # 0 seconds: SQLAlchemy's own ping before every use
    (False, 10, False),
])
def test_sqlalchemy_pings_every_checkout_only_when_told_to(pre_ping, idle, expected):
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = PG
    if pre_ping is not None:
        app.config["DATABASE_PRE_PING"] = pre_ping
    if idle is not None:
        app.config["DATABASE_PING_IDLE_SECONDS"] = idle
    configure(app)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is expected


def test_the_environment_names_them(monkeypatch):
    from core.config import from_environment

    monkeypatch.setenv("DATABASE_PRE_PING", "0")
    monkeypatch.setenv("DATABASE_PING_IDLE_SECONDS", "2.5")
    settings = from_environment()
    assert settings["DATABASE_PRE_PING"] is False
    assert settings["DATABASE_PING_IDLE_SECONDS"] == 2.5
    monkeypatch.delenv("DATABASE_PRE_PING")
    monkeypatch.delenv("DATABASE_PING_IDLE_SECONDS")
    settings = from_environment()
    assert settings["DATABASE_PRE_PING"] is True
    assert settings["DATABASE_PING_IDLE_SECONDS"] == 10


postgresql_only = pytest.mark.skipif(BACKEND != "postgresql", reason="a server to drop connections")


def _engine_with_idle_ping(seconds):
    engine = create_engine(os.environ["LINLI_TEST_PG_APP_URL"], pool_size=1, max_overflow=0)
    ping_idle_connections(engine, seconds)
    return engine


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def _terminate(engine, pid) -> None:
    killer = create_engine(os.environ["LINLI_TEST_PG_APP_URL"], poolclass=None)
    with killer.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    killer.dispose()


@postgresql_only
def test_an_idle_connection_the_server_dropped_is_replaced_before_use():
    engine = _engine_with_idle_ping(0.0)  # every pooled connection counts as idle
    try:
        first = _backend_pid(engine)
        _terminate(engine, first)
        second = _backend_pid(engine)  # no error: the ping found it dead, the pool reconnected
        assert second != first
    finally:
        engine.dispose()


@postgresql_only
def test_a_connection_used_a_moment_ago_is_not_pinged():
    engine = _engine_with_idle_ping(3600.0)
    try:
        first = _backend_pid(engine)
        _terminate(engine, first)
        # trusted without a round trip: the dropped connection fails this one use ...
        with pytest.raises(exc.OperationalError):
            _backend_pid(engine)
        # ... and the pool replaces it for the next
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()
