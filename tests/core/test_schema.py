"""Tenant tables carry the community in every key, so the database refuses a cross-community
reference (core/db.py): the primary key, every unique constraint and unique index, and every
foreign key from one tenant table to another include ``community_id``."""

from sqlalchemy import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    Uuid,
)

from core.db import tenant_classes, tenant_tables
from core.extensions import db

KEY = "community_id"


def schema_violations(tables, tenant_names: set[str]) -> list[str]:
    problems = []
    for table in tables:
        if table.name not in tenant_names:
            continue
        if KEY not in table.primary_key.columns:
            problems.append(f"{table.name}: primary key lacks {KEY}")
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint) and KEY not in constraint.columns:
                problems.append(f"{table.name}: unique {constraint.name or list(constraint.columns.keys())} lacks {KEY}")
        for index in table.indexes:
            if index.unique and KEY not in index.columns:
                problems.append(f"{table.name}: unique index {index.name} lacks {KEY}")
        for fk in table.foreign_key_constraints:
            if fk.referred_table.name not in tenant_names:
                continue
            pairs = {(e.parent.name, e.column.name) for e in fk.elements}
            if (KEY, KEY) not in pairs:
                problems.append(
                    f"{table.name}: foreign key to {fk.referred_table.name} "
                    f"{sorted(pairs)} does not pair {KEY} with {KEY}"
                )
    return problems


def test_tenant_tables_are_found(app):
    names = {t.name for t in tenant_tables()}
    assert "members" in names
    # every tenant class's table is in the metadata the app builds its schema from
    assert names == {cls.__table__.name for cls in tenant_classes()}
    assert all(db.metadata.tables[name] is not None for name in names)


def test_every_tenant_table_keys_on_the_community(app):
    tenants = {t.name for t in tenant_tables()}
    assert schema_violations(db.metadata.sorted_tables, tenants) == []


def test_every_tenant_table_has_a_community_foreign_key(app):
    for table in tenant_tables():
        targets = {(fk.parent.name, fk.column.table.name) for fk in table.foreign_keys}
        assert (KEY, "communities") in targets, table.name


def _throwaway_schema():
    md = MetaData()
    Table("communities", md, Column("id", Uuid, primary_key=True))
    Table(
        "good_parent", md,
        Column(KEY, Uuid, ForeignKey("communities.id"), primary_key=True),
        Column("id", Uuid, primary_key=True),
        Column("code", String(10)),
        UniqueConstraint(KEY, "code"),
    )
    Table(
        "good_child", md,
        Column(KEY, Uuid, primary_key=True),
        Column("id", Uuid, primary_key=True),
        Column("parent_id", Uuid),
        ForeignKeyConstraint([KEY, "parent_id"], ["good_parent.community_id", "good_parent.id"]),
        Index("ix_good_child_parent", KEY, "parent_id", unique=True),
    )
    Table(
        "bad_pk", md,
        Column(KEY, Uuid),
        Column("id", Integer),
        PrimaryKeyConstraint("id"),
    )
    Table(
        "bad_unique", md,
        Column(KEY, Uuid, primary_key=True),
        Column("id", Uuid, primary_key=True),
        Column("number", Integer, unique=True),  # a column-level unique
        Column("code", String(10)),
        UniqueConstraint("code", name="uq_bad_code"),
    )
    Table(
        "bad_index", md,
        Column(KEY, Uuid, primary_key=True),
        Column("id", Uuid, primary_key=True),
        Column("code", String(10)),
        Index("ix_bad_index_code", "code", unique=True),
    )
    Table(
        "bad_fk", md,
        Column(KEY, Uuid, primary_key=True),
        Column("id", Uuid, primary_key=True),
        Column("parent_id", Uuid, ForeignKey("good_parent.id")),
    )
    Table(
        "bad_fk_pairing", md,  # includes community_id, but pairs it with the wrong column
        Column(KEY, Uuid, primary_key=True),
        Column("id", Uuid, primary_key=True),
        Column("parent_id", Uuid),
        ForeignKeyConstraint([KEY, "parent_id"], ["good_parent.id", "good_parent.community_id"]),
    )
    return md


def test_the_check_catches_each_kind_of_violation():
    md = _throwaway_schema()
    tenants = {name for name in md.tables if name != "communities"}
    problems = schema_violations(md.sorted_tables, tenants)
    by_table = {}
    for problem in problems:
        by_table.setdefault(problem.split(":")[0], []).append(problem)
    assert "good_parent" not in by_table and "good_child" not in by_table, problems
    assert any("primary key" in p for p in by_table["bad_pk"])
    assert len(by_table["bad_unique"]) == 2, by_table["bad_unique"]  # column-level and table-level
    assert any("unique index" in p for p in by_table["bad_index"])
    assert any("foreign key" in p for p in by_table["bad_fk"])
    assert any("foreign key" in p for p in by_table["bad_fk_pairing"])
    # a foreign key to a global table needs no community (communities itself, users...)
    assert not any("communities" in p for p in problems)
