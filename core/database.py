"""Engine settings per backend.

SQLite is the embedded default and serves real users too: WAL, a busy timeout, foreign keys
on, and every transaction begins with ``BEGIN IMMEDIATE`` so writers queue for the lock up
front instead of failing with "database is locked" when a read transaction tries to write.
"""

import time

from flask import Flask
from sqlalchemy import event, exc


def configure(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        connect_args = options.setdefault("connect_args", {})
        connect_args.setdefault("timeout", 30)
        connect_args.setdefault("check_same_thread", False)
        if uri.startswith("sqlite:///") and uri != "sqlite:///:memory:":
            from pathlib import Path

            Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    else:
        # pinging is done by ``ping_idle_connections`` (only connections that sat idle)
        options.setdefault("pool_pre_ping", _ping_after(app) == 0)
        options.setdefault("pool_size", app.config.get("DATABASE_POOL_SIZE", 10))
        options.setdefault("max_overflow", app.config.get("DATABASE_MAX_OVERFLOW", 60))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def sqlite_engine_events(engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # hand transaction control to SQLAlchemy (pysqlite's own BEGIN is deferred)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _ping_after(app: Flask) -> float | None:
    """Seconds a pooled connection may sit unused and still be handed out without a test
    round trip; 0: test before every use; None: never test."""
    if not app.config.get("DATABASE_PRE_PING", True):
        return None
    return max(0.0, float(app.config.get("DATABASE_PING_IDLE_SECONDS", 10)))


def ping_idle_connections(engine, idle_seconds: float) -> None:
    """Test a pooled connection before use only when it has been idle longer than
    ``idle_seconds`` (PgBouncer's ``server_check_delay``): a connection that served a
    request a moment ago is alive, and pinging it anyway costs every transaction a round
    trip (bench/ledger.py measured it). A dead one found here is replaced before use:
    raising ``DisconnectionError`` in ``checkout`` makes the pool retry with a new one."""

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_connection, record):
        record.info["linli_used"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _used(_dbapi_connection, record):
        if record is not None:
            record.info["linli_used"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _test_if_idle(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get("linli_used", 0.0) <= idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error


def install_engine_events(app: Flask) -> None:
    from core.extensions import db

    with app.app_context():
        engine = db.engine
        if getattr(engine, "_linli_events", False):
            return
        engine._linli_events = True
        idle = _ping_after(app)
        if engine.dialect.name == "sqlite":
            sqlite_engine_events(engine)
        elif idle:  # None: never tested; 0: SQLAlchemy's own pre-ping (``configure``)
            ping_idle_connections(engine, idle)
