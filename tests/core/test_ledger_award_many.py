"""``award_many``: set-based awards that keep every rule ``award`` keeps."""

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.identity.models import Member
from core.ledger import actions as ledger
from core.ledger.models import LedgerPosting, LedgerTransaction
from core.ledger.queries import balance, history, verify, wallet_account
from core.tenancy.context import use_community
from core.transactions import atomic


@pytest.fixture
def c1(ctx, world):
    with use_community(world.ids["c1"]):
        yield world.community("c1")


def member(world, name):
    return db.session.scalar(select(Member).where(Member.id == world.member_id(name)))


def postings():
    return db.session.scalar(select(func.count()).select_from(LedgerPosting))


def test_batch_awards_are_exact_and_verifiable(c1, world):
    red, blue, green = (member(world, n) for n in ("c1_red", "c1_blue", "c1_green"))
    with atomic():
        ledger.award(c1, red, 4, reason="earlier")  # red has a wallet already; the others not
    loaded = wallet_account(red)  # a wallet object held in the session must not go stale
    cause = ledger.Cause("activity", "a-1")
    with atomic():
        result = ledger.award_many(c1, [
            (red, 20, "Clean-up 2h", "activity:a-1:red"),
            (blue.id, 15, "Clean-up 1.5h", "activity:a-1:blue"),
            (green, 2, "Clean-up", "activity:a-1:green"),
        ], actor=None, cause=cause)
    assert set(result) == {"activity:a-1:red", "activity:a-1:blue", "activity:a-1:green"}
    assert (balance(red), balance(blue), balance(green)) == (24, 15, 2)
    assert loaded.balance == 24
    entry = history(red)[0]
    assert (entry.points, entry.balance_after, entry.reason) == (20, 24, "Clean-up 2h")
    transaction = db.session.get(LedgerTransaction, {"community_id": c1.id, "id": result["activity:a-1:blue"]})
    assert (transaction.cause_type, transaction.cause_id, transaction.member_id) == ("activity", "a-1", blue.id)
    assert verify([c1.id]) == []


def test_a_second_run_moves_nothing_and_returns_the_first_transactions(c1, world):
    red, blue = member(world, "c1_red"), member(world, "c1_blue")
    batch = [(red, 10, "r", "k:red"), (blue, 5, "r", "k:blue")]
    with atomic():
        first = ledger.award_many(c1, batch, cause=ledger.Cause("activity", "x"))
    before = postings()
    with atomic():
        again = ledger.award_many(c1, batch + [(member(world, "c1_green"), 1, "r", "k:green")],
                                  cause=ledger.Cause("activity", "x"))
    assert again["k:red"] == first["k:red"] and again["k:blue"] == first["k:blue"]
    assert postings() == before + 2  # only green's new award
    assert (balance(red), balance(blue)) == (10, 5)
    # the single-award path sees the same key as a retry of the same award
    with atomic():
        single = ledger.award(c1, red, 10, reason="r", cause=ledger.Cause("activity", "x"),
                              idempotency_key="k:red")
    assert single.id == first["k:red"] and balance(red) == 10
    assert verify([c1.id]) == []


def test_a_key_reused_for_another_award_writes_nothing(c1, world):
    red, blue = member(world, "c1_red"), member(world, "c1_blue")
    with atomic():
        ledger.award_many(c1, [(red, 10, "r", "k:red")])
    before = postings()
    with pytest.raises(ledger.IdempotencyKeyReused):
        with atomic():
            ledger.award_many(c1, [(blue, 3, "r", "k:blue"), (red, 11, "r", "k:red")])
    assert postings() == before and balance(blue) == 0 and balance(red) == 10


@pytest.mark.parametrize("batch", [
    [("red", 0, "r", "k")],
    [("red", -5, "r", "k")],
    [("red", 5, "r", "")],
    [("red", 5, "r", "same"), ("blue", 5, "r", "same")],
])
def test_bad_batches_are_refused(c1, world, batch):
    rows = [(member(world, f"c1_{who}"), p, r, k) for who, p, r, k in batch]
    before = postings()
    with pytest.raises(ledger.LedgerError):
        with atomic():
            ledger.award_many(c1, rows)
    assert postings() == before


def test_one_member_twice_in_a_batch_accumulates_in_order(c1, world):
    red = member(world, "c1_red")
    with atomic():
        ledger.award_many(c1, [(red, 3, "a", "k1"), (red, 4, "b", "k2")])
    assert balance(red) == 7
    assert sorted(e.balance_after for e in history(red)) == [3, 7]
    assert verify([c1.id]) == []


def test_expiry_policy_applies_to_batch_credits(c1, world):
    c1.settings = {"points_expiry": {"policy": "months", "months": 6}}
    db.session.commit()
    red = member(world, "c1_red")
    with atomic():
        ledger.award_many(c1, [(red, 3, "a", "k1")])
    credit = db.session.scalar(select(LedgerPosting).where(LedgerPosting.amount == 3))
    assert credit.expires_at is not None
