"""``linli citus statements``: every table named once, tenant tables fit Citus."""

import re
from collections import Counter

from sqlalchemy import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Table,
    UniqueConstraint,
    create_engine,
    text,
)

from core.db import Base, tenant_tables
from core.scaleout.citus import fit_problems, plan, statements
from tests.conftest import BACKEND

CALL = re.compile(
    r"^SELECT create_(reference|distributed)_table\('(\w+)'(?:, '(\w+)', colocate_with => '(\w+)')?\);$"
)


def _cli_output(app):
    result = app.test_cli_runner().invoke(args=["citus", "statements"])
    assert result.exit_code == 0, result.output
    return result.output


def _calls(output):
    calls = []
    for line in output.splitlines():
        if not line.strip() or line.startswith("--"):
            continue
        match = CALL.match(line)
        assert match, f"not a Citus call: {line!r}"
        calls.append(match.groups())
    return calls


def test_every_tenant_table_fits_citus():
    assert tenant_tables(), "the models define tenant tables"
    assert fit_problems() == []


def test_output_names_every_table_exactly_once(app):
    calls = _calls(_cli_output(app))
    named = Counter(name for _kind, name, _col, _colocate in calls)
    assert set(named) == set(Base.metadata.tables)
    assert all(count == 1 for count in named.values()), named
    tenant = {t.name for t in tenant_tables()}
    for kind, name, column, _colocate in calls:
        assert (kind == "distributed") == (name in tenant), name
        if kind == "distributed":
            assert column == "community_id"
    distributed = [(name, colocate) for kind, name, _c, colocate in calls if kind == "distributed"]
    anchor = distributed[0][0]
    assert distributed[0][1] == "none"
    assert all(colocate == anchor for _name, colocate in distributed[1:]), "one colocation group"
    for expected_global in ("users", "districts", "communities", "merchants"):
        assert ("reference", expected_global, None, None) in calls


def test_statements_come_in_an_order_citus_accepts(app):
    """Reference tables before tenant tables, and every table after the tables it points at."""
    order = [name for _kind, name, _c, _co in _calls(_cli_output(app))]
    position = {name: i for i, name in enumerate(order)}
    kinds = [kind for kind, *_rest in _calls(_cli_output(app))]
    assert kinds == sorted(kinds, key=lambda k: k != "reference")
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_key_constraints:
            target = fk.referred_table.name
            if target != table.name:
                assert position[target] < position[table.name], (table.name, target)


def test_named_tables_exist_in_the_database(app):
    names = [name for _kind, name, _c, _co in _calls(_cli_output(app))]
    if BACKEND == "postgresql":
        # the statements run as written against stand-ins with Citus's signatures, which check
        # that the table and its distribution column exist and the colocation group is known
        engine = create_engine(app.config["MIGRATIONS_DATABASE_URL"])
        try:
            with engine.connect() as conn, conn.begin() as tx:
                # several statements, no parameters: psycopg's simple query protocol
                conn.connection.driver_connection.execute(STUBS)
                conn.exec_driver_sql("SET LOCAL search_path = citus_stub, public")
                for line in statements():
                    conn.exec_driver_sql(line)
                done = conn.execute(text("SELECT name FROM citus_stub.done ORDER BY seq")).scalars()
                assert list(done) == names
                tx.rollback()
        finally:
            engine.dispose()
    else:
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        try:
            with engine.connect() as conn:
                existing = set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'table'")))
        finally:
            engine.dispose()
        assert set(names) <= existing


STUBS = """
CREATE SCHEMA citus_stub;
CREATE TABLE citus_stub.done (seq serial, name text, colocation text);
CREATE FUNCTION citus_stub.create_reference_table(table_name regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO citus_stub.done (name) VALUES (table_name::text);
END $$;
CREATE FUNCTION citus_stub.create_distributed_table(
  table_name regclass, distribution_column text, colocate_with text DEFAULT 'default'
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = table_name
                 AND attname = distribution_column AND NOT attisdropped) THEN
    RAISE EXCEPTION 'no column % on %', distribution_column, table_name;
  END IF;
  IF colocate_with <> 'none' AND NOT EXISTS (
      SELECT FROM citus_stub.done WHERE name = colocate_with AND colocation IS NOT NULL) THEN
    RAISE EXCEPTION 'colocate_with % is not a distributed table yet', colocate_with;
  END IF;
  INSERT INTO citus_stub.done (name, colocation) VALUES (table_name::text, colocate_with);
END $$;
"""


def test_misfits_are_named():
    md = MetaData()
    Table("communities", md, Column("id", Integer, primary_key=True))
    Table("ok", md,
          Column("community_id", Integer, ForeignKey("communities.id"), primary_key=True),
          Column("id", Integer, primary_key=True),
          Column("code", Integer),
          UniqueConstraint("community_id", "code"))
    Table("bad_pk", md, Column("community_id", Integer), Column("id", Integer, primary_key=True))
    Table("bad_unique", md,
          Column("community_id", Integer, primary_key=True), Column("id", Integer, primary_key=True),
          Column("code", Integer), UniqueConstraint("code"))
    Table("bad_index", md,
          Column("community_id", Integer, primary_key=True), Column("id", Integer, primary_key=True),
          Column("code", Integer), Index("ix_code", "code", unique=True))
    Table("bad_fk", md,
          Column("community_id", Integer, primary_key=True), Column("id", Integer, primary_key=True),
          Column("ok_id", Integer), ForeignKeyConstraint(["ok_id"], ["ok.id"]))
    Table("bad_set_null", md,
          Column("community_id", Integer, primary_key=True), Column("id", Integer, primary_key=True),
          Column("ok_id", Integer),
          ForeignKeyConstraint(["community_id", "ok_id"], ["ok.community_id", "ok.id"],
                               ondelete="SET NULL"))
    Table("no_column", md, Column("id", Integer, primary_key=True))
    Table("global_to_tenant", md, Column("id", Integer, primary_key=True),
          Column("ok_id", Integer), ForeignKeyConstraint(["ok_id"], ["ok.id"]))
    tenant = {"ok", "bad_pk", "bad_unique", "bad_index", "bad_fk", "bad_set_null", "no_column"}
    problems = fit_problems(md, tenant)
    flagged = Counter(p.split(":")[0] for p in problems)
    assert set(flagged) == {"bad_pk", "bad_unique", "bad_index", "bad_fk", "bad_set_null",
                            "no_column", "global_to_tenant"}, problems
    reference, distributed = plan(md, tenant)
    assert [t.name for t in reference] == ["communities", "global_to_tenant"]


def test_cli_refuses_when_a_table_does_not_fit(app, monkeypatch):
    import core.scaleout.citus as citus

    monkeypatch.setattr(citus, "fit_problems", lambda: ["members: primary key without community_id"])
    result = app.test_cli_runner().invoke(args=["citus", "statements"])
    assert result.exit_code == 1
    assert "create_" not in result.stdout
    assert "PROBLEM members: primary key without community_id" in result.stderr
