"""Engine settings per backend.

SQLite is the embedded default and serves real users too: WAL, a busy timeout, foreign keys
on, and every transaction begins with ``BEGIN IMMEDIATE`` so writers queue for the lock up
front instead of failing with "database is locked" when a read transaction tries to write.
"""

from flask import Flask
from sqlalchemy import event


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
        options.setdefault("pool_pre_ping", bool(app.config.get("DATABASE_PRE_PING", True)))
        options.setdefault("pool_size", 10)
        options.setdefault("max_overflow", 60)
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


def install_engine_events(app: Flask) -> None:
    from core.extensions import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite" and not getattr(engine, "_linli_events", False):
            sqlite_engine_events(engine)
            engine._linli_events = True
