"""What the ledger's Core-statement hot path must keep from the ORM it bypasses: objects the
session holds stay true, the returned transaction is a normal one, tenants stay apart."""

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.identity.models import Member
from core.ledger import actions as ledger
from core.ledger.models import LedgerPosting
from core.tenancy.context import use_community
from core.tenancy.scoping import CrossTenantAccess
from core.transactions import atomic


def member(world, name):
    return db.session.scalar(select(Member).where(Member.id == world.member_id(name)))


def test_a_wallet_object_held_in_the_transaction_sees_its_new_balance(ctx, world):
    with use_community(world.ids["c1"]):
        c1, red = world.community("c1"), member(world, "c1_red")
        with atomic():
            wallet = ledger.wallet_of(red)
            assert wallet.balance == 0
            ledger.award(c1, red, 12, reason="r")
            assert wallet.balance == 12  # no commit, no refresh in between
            ledger.spend(c1, red, 5, to=ledger.shop_account(c1.id), reason="s")
            assert wallet.balance == 7
        assert wallet.balance == 7


def test_the_returned_transaction_is_the_sessions_with_its_postings(ctx, world):
    with use_community(world.ids["c1"]):
        c1, red = world.community("c1"), member(world, "c1_red")
        with atomic():
            txn = ledger.award(c1, red, 4, reason="清洁")
            assert txn in db.session
            assert sorted(p.amount for p in txn.postings) == [-4, 4]
            wallet_leg = next(p for p in txn.postings if p.amount > 0)
            assert wallet_leg.balance_after == 4
        assert txn.reason == "清洁"


def test_the_ledger_of_another_community_is_refused_before_anything_is_read(ctx, world):
    with use_community(world.ids["c2"]):
        c2, c2_red = world.community("c2"), member(world, "c2_red")
    with use_community(world.ids["c1"]):
        before = db.session.scalar(select(func.count()).select_from(LedgerPosting))
        for call in (
            lambda: ledger.award(c2, c2_red, 3, reason="x"),
            lambda: ledger.spend(c2, c2_red, 1, to=ledger.shop_account(c2.id), reason="x"),
            lambda: ledger.spend(c2, c2_red, 1, to=ledger.SHOP, reason="x"),
        ):
            with pytest.raises(CrossTenantAccess):
                with atomic():
                    call()
        assert db.session.scalar(select(func.count()).select_from(LedgerPosting)) == before


def test_a_spend_to_the_shop_by_key_is_the_same_spend(ctx, world):
    with use_community(world.ids["c1"]):
        c1, blue = world.community("c1"), member(world, "c1_blue")
        with atomic():
            shop = ledger.shop_account(c1.id)
            wallet = ledger.wallet_of(blue)
            before, shop_before = wallet.balance, shop_total(shop)
            ledger.award(c1, blue, 10, reason="r")
            txn = ledger.spend(c1, blue, 4, to=ledger.SHOP, reason="by key")
            assert {p.account_id: p.amount for p in txn.postings} == {wallet.id: -4, shop.id: 4}
            assert wallet.balance == before + 6
        with pytest.raises(ledger.InsufficientPoints):
            with atomic():
                ledger.spend(c1, blue, before + 7, to=ledger.SHOP, reason="too much")
        assert ledger.wallet_of(blue).balance == before + 6
        assert shop_total(shop) == shop_before + 4


def shop_total(shop) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(LedgerPosting.amount), 0))
                             .where(LedgerPosting.account_id == shop.id))
