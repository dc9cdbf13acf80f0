"""The ledger's rules, each shown by a change that would break it."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from core.extensions import db
from core.identity.models import Member
from core.ledger import actions as ledger
from core.ledger.models import LedgerPosting
from core.ledger.queries import balance, history, verify
from core.tenancy.context import use_community
from core.transactions import atomic


@pytest.fixture
def c1(ctx, world):
    with use_community(world.ids["c1"]):
        yield world.community("c1")


def member(world, name):
    return db.session.scalar(select(Member).where(Member.id == world.member_id(name)))


def test_award_then_spend_moves_points_and_balances_stay_exact(c1, world):
    red = member(world, "c1_red")
    with atomic():
        ledger.award(c1, red, 15, reason="大扫除 · 5月12日")
    with atomic():
        ledger.spend(c1, red, 6, to=ledger.shop_account(c1.id), reason="洗衣液")
    assert balance(red) == 9
    entries = history(red)
    assert [e.points for e in entries] == [-6, 15]
    assert [e.balance_after for e in entries] == [9, 15]
    assert verify([c1.id]) == []


def test_overspending_is_refused_and_writes_nothing(c1, world):
    red = member(world, "c1_red")
    with atomic():
        ledger.award(c1, red, 5, reason="r")
    before = db.session.scalar(select(db.func.count()).select_from(LedgerPosting))
    with pytest.raises(ledger.InsufficientPoints):
        with atomic():
            ledger.spend(c1, red, 6, to=ledger.shop_account(c1.id), reason="too much")
    assert balance(red) == 5
    assert db.session.scalar(select(db.func.count()).select_from(LedgerPosting)) == before


def test_same_idempotency_key_returns_first_transaction(c1, world):
    red = member(world, "c1_red")
    with atomic():
        first = ledger.award(c1, red, 10, reason="r", idempotency_key="k-1")
    with atomic():
        again = ledger.award(c1, red, 10, reason="r", idempotency_key="k-1")
    assert again.id == first.id
    assert balance(red) == 10
    with pytest.raises(ledger.IdempotencyKeyReused):
        with atomic():
            ledger.award(c1, red, 11, reason="r", idempotency_key="k-1")


def test_reversal_restores_and_only_once(c1, world):
    red = member(world, "c1_red")
    with atomic():
        original = ledger.award(c1, red, 10, reason="r")
    with atomic():
        ledger.reverse(c1, original, reason="mistake")
    assert balance(red) == 0
    with pytest.raises(ledger.AlreadyReversed):
        with atomic():
            ledger.reverse(c1, original, reason="again")
    assert verify([c1.id]) == []


def test_postings_are_append_only(c1, world):
    red = member(world, "c1_red")
    with atomic():
        ledger.award(c1, red, 3, reason="r")
    with pytest.raises(DBAPIError):
        with db.session.begin_nested():
            db.session.execute(text("UPDATE ledger_postings SET amount = 1000"))
    with pytest.raises(DBAPIError):
        with db.session.begin_nested():
            db.session.execute(text("DELETE FROM ledger_postings"))
    assert balance(red) == 3


def test_ledger_api_shows_history_to_the_member_and_staff_only(api, world, app):
    with app.app_context(), use_community(world.ids["c1"]):
        c1 = world.community("c1")
        with atomic():
            ledger.award(c1, member(world, "c1_blue"), 7, reason="义务理发")
    url = f"/api/v1/c/{world.slugs['c1']}/members/{world.member_id('c1_blue')}/ledger"
    own = api.as_("c1_blue").get(url)
    assert own.status_code == 200
    assert own.json["balance"] == 7
    assert own.json["entries"][0]["reason"] == "义务理发"
    assert api.as_("c1_grid").get(url).status_code == 200
    assert api.as_("c1_red").get(url).status_code == 404
    assert api.as_("c2_admin").get(url).status_code == 404
