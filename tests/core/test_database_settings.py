"""Engine settings chosen from the configuration (core/database.py)."""

import pytest
from flask import Flask

from core.database import configure

PG = "postgresql+psycopg://linli_app:x@127.0.0.1:1/linli"


@pytest.mark.parametrize("setting, expected", [(None, True), (True, True), (False, False)])
def test_postgresql_connections_are_pinged_before_use_unless_told_not_to(setting, expected):
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = PG
    if setting is not None:
        app.config["DATABASE_PRE_PING"] = setting
    configure(app)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is expected


def test_the_environment_names_it(monkeypatch):
    from core.config import from_environment

    monkeypatch.setenv("DATABASE_PRE_PING", "0")
    assert from_environment()["DATABASE_PRE_PING"] is False
    monkeypatch.delenv("DATABASE_PRE_PING")
    assert from_environment()["DATABASE_PRE_PING"] is True
