"""The database itself keeps the ledger's rules, whatever the code does.

- postings and transactions cannot be updated or deleted: on PostgreSQL the app's role has
  no such right (and a trigger stops even the schema owner); on SQLite a trigger stops it;
- a wallet cannot go below zero (a CHECK), even through raw SQL that bypasses the ledger.
"""

import uuid

import pytest
from sqlalchemy import Uuid, bindparam, create_engine, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.extensions import db
from core.identity.models import Member
from core.ledger import actions as ledger
from core.ledger.queries import balance, wallet_account
from core.tenancy.context import use_community
from core.transactions import atomic

CHANGES = [
    "UPDATE ledger_postings SET amount = amount + 1",
    "DELETE FROM ledger_postings",
    "UPDATE ledger_transactions SET reason = 'rewritten'",
    "DELETE FROM ledger_transactions",
]


@pytest.fixture
def c1_red(ctx, world):
    with use_community(world.ids["c1"]):
        red = db.session.scalar(select(Member).where(Member.id == world.member_id("c1_red")))
        with atomic():
            ledger.award(world.community("c1"), red, 5, reason="r")
        yield red


@pytest.mark.parametrize("statement", CHANGES)
def test_the_app_cannot_update_or_delete_ledger_rows(c1_red, statement):
    postgres = db.engine.dialect.name == "postgresql"
    with pytest.raises(DBAPIError) as refused:
        with db.session.begin_nested():
            db.session.execute(text(statement))
    # PostgreSQL refuses on the privilege before any trigger runs; SQLite has the trigger
    assert ("permission denied" if postgres else "append-only") in str(refused.value)
    assert balance(c1_red) == 5


def test_the_app_role_holds_no_update_or_delete_right(c1_red):
    if db.engine.dialect.name != "postgresql":
        # no roles on SQLite: the trigger (above) is the rule there
        assert db.session.execute(text(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'ledger_%'"
        )).scalar() == 4
        return
    rights = db.session.execute(text(
        "SELECT has_table_privilege(current_user, t, p) FROM "
        "(VALUES ('ledger_postings'), ('ledger_transactions')) AS tables(t), "
        "(VALUES ('UPDATE'), ('DELETE'), ('TRUNCATE')) AS privileges(p)"
    )).scalars().all()
    assert rights == [False] * 6
    assert db.session.execute(text(
        "SELECT has_table_privilege(current_user, 'ledger_postings', 'INSERT')"
    )).scalar() is True


def test_even_the_schema_owner_is_stopped_by_the_trigger(app, world):
    """Outside the rolled-back test transaction: an owner connection, itself rolled back."""
    url = app.config.get("MIGRATIONS_DATABASE_URL") or app.config["SQLALCHEMY_DATABASE_URI"]
    engine = create_engine(url)
    ids = {"c": world.ids["c1"], "a": uuid.uuid4(), "t": uuid.uuid4(), "p": uuid.uuid4()}

    def bound(sql):
        return text(sql).bindparams(*[bindparam(n, type_=Uuid) for n in ids if f":{n}" in sql])

    rows = [
        "INSERT INTO ledger_accounts (community_id, id, kind, key, balance, created_at) "
        "VALUES (:c, :a, 'shop', 'owner-test', 0, CURRENT_TIMESTAMP)",
        "INSERT INTO ledger_transactions (community_id, id, kind, reason, fingerprint, created_at) "
        "VALUES (:c, :t, 'test', 'owner test', 'x', CURRENT_TIMESTAMP)",
        "INSERT INTO ledger_postings (community_id, id, transaction_id, account_id, amount, created_at) "
        "VALUES (:c, :p, :t, :a, 1, CURRENT_TIMESTAMP)",
    ]
    try:
        with engine.connect() as connection:
            for statement in ("UPDATE ledger_postings SET amount = 2 WHERE id = :p",
                              "DELETE FROM ledger_transactions WHERE id = :t"):
                outer = connection.begin()
                try:
                    if engine.dialect.name == "postgresql":
                        connection.execute(text("SELECT set_config('app.all_communities', 'on', true)"))
                    for row in rows:
                        connection.execute(bound(row), ids)
                    with pytest.raises(DBAPIError, match="append-only"):
                        connection.execute(bound(statement), ids)
                finally:
                    outer.rollback()
    finally:
        engine.dispose()


def test_a_wallet_cannot_go_negative_even_behind_the_ledgers_back(c1_red):
    wallet_id = wallet_account(c1_red).id
    negative = text("UPDATE ledger_accounts SET balance = -1 WHERE id = :id").bindparams(
        bindparam("id", type_=Uuid))
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.execute(negative, {"id": wallet_id})
    assert balance(c1_red) == 5


def test_the_non_wallet_accounts_may_go_negative(c1_red, world):
    """The issuance account is negative by design: it is where awarded points come from."""
    from core.ledger.actions import balance_of_account, issuance_account

    assert balance_of_account(issuance_account(world.ids["c1"])) <= -5
