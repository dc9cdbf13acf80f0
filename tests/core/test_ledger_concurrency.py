"""The ledger under real concurrent commits: many threads, each with its own app context,
session and database connection (no rolled-back test transaction here).

Each test opens its own district, community and members with unique slugs, so nothing it
commits collides with the world or another test. On PostgreSQL wallet rows are locked
(``SELECT ... FOR UPDATE``, in id order); on SQLite ``BEGIN IMMEDIATE`` and the busy timeout
queue the writers. Either way: no lost update, no overspend, no "database is locked", no
deadlock.
"""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from core.districts.actions import do_create_community, do_create_district
from core.extensions import db
from core.identity.actions import do_add_member, do_create_user
from core.identity.models import Member, Role, User
from core.ledger import actions as ledger
from core.ledger.models import LedgerTransaction
from core.ledger.queries import balance, verify
from core.tenancy.context import use_community
from core.tenancy.models import Community
from core.transactions import atomic

TIMEOUT = 180  # seconds for every thread to finish: a hang fails the test instead of blocking


def open_community(app, world, residents=1):
    """A district, community and residents of this test's own, committed. Returns ids."""
    tag = uuid.uuid4().hex[:10]
    with app.app_context():
        platform = db.session.get(User, world.ids["user:platform"])
        district = do_create_district(f"cd-{tag}", f"Concurrency {tag}", platform)
        community = do_create_community(
            district, slug=f"cc-{tag}", name=f"Concurrency {tag}", actor=platform,
            admin={"login": f"cc-{tag}-admin", "password": "pw-concurrency-1", "name": "admin"},
        )
        community_id = community.id
        with use_community(community_id), atomic():
            member_ids = [
                do_add_member(community, do_create_user(f"cc-{tag}-{i}", "pw-concurrency-1", f"r{i}"),
                              Role.RESIDENT).id
                for i in range(residents)
            ]
        db.session.remove()
    return community_id, member_ids


def load(community_id, member_id):
    community = db.session.get(Community, community_id)
    member = db.session.get(Member, {"community_id": community_id, "id": member_id})
    return community, member


def in_threads(app, community_id, count, work):
    """Run ``work(i)`` in ``count`` threads that start together, each in its own app context
    and session; return their results in order (exceptions propagate)."""
    barrier = threading.Barrier(count)

    def run(i):
        with app.app_context(), use_community(community_id):
            try:
                barrier.wait(timeout=TIMEOUT)
                return work(i)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(run, i) for i in range(count)]
        return [f.result(timeout=TIMEOUT) for f in futures]


def award(app, community_id, member_id, points):
    with app.app_context(), use_community(community_id):
        community, member = load(community_id, member_id)
        with atomic():
            txn = ledger.award(community, member, points, reason="setup")
        txn_id = txn.id
        db.session.remove()
    return txn_id


def check(app, community_id, member_ids):
    """Balances of the members, after verifying the community's ledger is consistent."""
    with app.app_context(), use_community(community_id):
        assert verify([community_id]) == []
        balances = [balance(load(community_id, m)[1]) for m in member_ids]
        db.session.remove()
    return balances


def count_transactions(app, community_id, **where):
    with app.app_context(), use_community(community_id):
        query = select(func.count()).select_from(LedgerTransaction)
        for column, value in where.items():
            query = query.where(getattr(LedgerTransaction, column) == value)
        total = db.session.scalar(query)
        db.session.remove()
    return total


SPENDERS = 50  # on both backends: SQLite queues them one by one, quickly enough


def test_fifty_concurrent_spends_of_a_wallet_that_affords_ten(app, world):
    community_id, (member_id,) = open_community(app, world)
    award(app, community_id, member_id, 30)

    def spend(_i):
        community, member = load(community_id, member_id)
        try:
            with atomic():
                ledger.spend(community, member, 3, to=ledger.shop_account(community_id), reason="rice")
        except ledger.InsufficientPoints:
            return "short"
        return "spent"

    results = in_threads(app, community_id, SPENDERS, spend)
    assert results.count("spent") == 10
    assert results.count("short") == SPENDERS - 10
    assert check(app, community_id, [member_id]) == [0]
    assert count_transactions(app, community_id, kind="spend") == 10


def test_concurrent_awards_to_one_wallet_lose_no_update(app, world):
    community_id, (member_id,) = open_community(app, world)

    def give(i):
        community, member = load(community_id, member_id)
        with atomic():
            ledger.award(community, member, i + 1, reason="help")

    in_threads(app, community_id, 30, give)
    assert check(app, community_id, [member_id]) == [sum(range(1, 31))]
    assert count_transactions(app, community_id, kind="award") == 30


def test_concurrent_first_awards_open_one_wallet(app, world):
    """The wallet does not exist yet: every thread tries to open it at once."""
    community_id, (member_id,) = open_community(app, world)

    def give(_i):
        community, member = load(community_id, member_id)
        with atomic():
            ledger.award(community, member, 2, reason="first")

    in_threads(app, community_id, 20, give)
    assert check(app, community_id, [member_id]) == [40]


def test_the_same_idempotency_key_posted_concurrently_makes_one_transaction(app, world):
    community_id, (member_id,) = open_community(app, world)

    def give(_i):
        community, member = load(community_id, member_id)
        with atomic():
            return ledger.award(community, member, 5, reason="once", idempotency_key="same-key").id

    ids = in_threads(app, community_id, 20, give)
    assert len(set(ids)) == 1
    assert check(app, community_id, [member_id]) == [5]
    assert count_transactions(app, community_id, idempotency_key="same-key") == 1


def test_the_same_key_concurrently_without_any_wallet_makes_one_transaction(app, world):
    """Shop to merchant: no wallet row to queue on, so the unique key decides."""
    community_id, _ = open_community(app, world)
    merchant_id = world.ids["m1"]

    def settle(_i):
        community = db.session.get(Community, community_id)
        with atomic():
            return ledger.post(
                community, kind="transfer", reason="settle", idempotency_key="settle-key",
                entries=[(ledger.shop_account(community_id), -7),
                         (ledger.merchant_account(community_id, merchant_id), 7)],
            ).id

    ids = in_threads(app, community_id, 20, settle)
    assert len(set(ids)) == 1
    assert count_transactions(app, community_id, idempotency_key="settle-key") == 1


def test_concurrent_reversals_of_one_award_reverse_it_once(app, world):
    community_id, (member_id,) = open_community(app, world)
    original_id = award(app, community_id, member_id, 9)

    def undo(_i):
        community = db.session.get(Community, community_id)
        original = db.session.get(LedgerTransaction, {"community_id": community_id, "id": original_id})
        try:
            with atomic():
                ledger.reverse(community, original, reason="mistake")
        except ledger.AlreadyReversed:
            return "already"
        return "reversed"

    results = in_threads(app, community_id, 20, undo)
    assert results.count("reversed") == 1
    assert results.count("already") == 19
    assert check(app, community_id, [member_id]) == [0]


def test_transfers_in_opposite_directions_all_complete_without_deadlock(app, world):
    community_id, (a, b) = open_community(app, world, residents=2)
    award(app, community_id, a, 500)
    award(app, community_id, b, 500)

    def shuttle(i):
        source, target = (a, b) if i % 2 == 0 else (b, a)
        for _ in range(5):
            community, giver = load(community_id, source)
            _, taker = load(community_id, target)
            with atomic():
                ledger.post(
                    community, kind="transfer", reason="swap", member_id=giver.id,
                    entries=[(ledger.wallet_of(giver), -(i + 1)), (ledger.wallet_of(taker), i + 1)],
                )
        return "done"

    results = in_threads(app, community_id, 20, shuttle)
    assert results == ["done"] * 20
    # even threads (A->B) move 1+3+...+19 = 100 five times, odd ones (B->A) 2+4+...+20 = 110
    assert check(app, community_id, [a, b]) == [500 - 500 + 550, 500 + 500 - 550]
    assert count_transactions(app, community_id, kind="transfer") == 100
