"""Many residents ordering at once, with real commits from real threads (no ``rollback``):
stock never goes below zero, no wallet goes below zero, and balances stay exact.

Each test makes its own community, people and items through the real actions, with unique
names, so the committed rows touch nothing else in the suite.
"""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from core.districts.actions import do_create_community
from core.extensions import db
from core.identity.actions import do_add_member, do_create_user
from core.identity.models import Member, Role
from core.ledger import actions as ledger
from core.ledger.models import LedgerAccount, LedgerPosting
from core.ledger.queries import balance, verify
from core.tenancy.context import use_community
from core.tenancy.models import Community, District
from core.transactions import atomic
from tenants.shop import actions, errors
from tenants.shop.models import OrderStatus, ShopItem, ShopOrder

THREADS = 30


def _setup(app, world, residents: int, points: int, item: dict):
    """A fresh community with ``residents`` members holding ``points`` each, and one item."""
    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        district = db.session.get(District, world.ids["d1"])
        community = do_create_community(
            district, slug=f"conc-{tag}", name=f"Concurrency {tag}",
            admin={"login": f"conc_{tag}_admin", "password": "password-1", "name": "admin"}, actor=None)
        with use_community(community.id):
            member_ids = []
            with atomic():
                for n in range(residents):
                    user = do_create_user(f"conc_{tag}_{n}", "password-1", f"resident {n}")
                    member_ids.append(do_add_member(community, user, Role.RESIDENT).id)
            with atomic():
                for member_id in member_ids:
                    m = db.session.scalar(select(Member).where(Member.id == member_id))
                    ledger.award(community, m, points, reason="start")
            item_id = actions.do_create_item(community, actor=None, **item).id
        ids = (community.id, item_id, member_ids)
        db.session.remove()
    return ids


def _run(app, community_id, item_id, jobs):
    """Run ``jobs`` (member id, quantity) all at once, one thread each; the outcome codes."""
    barrier = threading.Barrier(len(jobs))

    def order(job):
        member_id, quantity = job
        with app.app_context(), use_community(community_id):
            try:
                community = db.session.get(Community, community_id)
                item = db.session.scalar(select(ShopItem).where(ShopItem.id == item_id))
                member = db.session.scalar(select(Member).where(Member.id == member_id))
                user = member.user
                db.session.rollback()  # start the race from no open transaction
                barrier.wait(timeout=30)
                actions.do_place_order(community, item, member, quantity, actor=user)
                return "ok"
            except errors.ShopError as exc:
                return exc.code
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(order, jobs))


def _state(app, community_id, item_id, member_ids):
    with app.app_context(), use_community(community_id):
        stock = db.session.scalar(select(ShopItem.stock).where(ShopItem.id == item_id))
        members = db.session.scalars(select(Member).where(Member.id.in_(member_ids))).all()
        balances = sorted(balance(m) for m in members)
        orders = db.session.scalar(select(func.count()).select_from(ShopOrder).where(
            ShopOrder.item_id == item_id, ShopOrder.status == OrderStatus.RESERVED))
        shop = db.session.scalar(select(func.coalesce(func.sum(LedgerPosting.amount), 0)).join(
            LedgerAccount, (LedgerAccount.community_id == LedgerPosting.community_id)
            & (LedgerAccount.id == LedgerPosting.account_id)).where(LedgerAccount.key == "shop"))
        problems = verify([community_id])
        db.session.remove()
    return stock, balances, orders, int(shop), problems


def test_thirty_residents_race_for_the_last_five(app, world):
    community_id, item_id, member_ids = _setup(
        app, world, THREADS, 15, {"name": "rice", "points": 15, "stock": 5})
    outcomes = _run(app, community_id, item_id, [(m, 1) for m in member_ids])
    assert outcomes.count("ok") == 5, outcomes
    assert outcomes.count("out_of_stock") == THREADS - 5, outcomes
    stock, balances, orders, shop, problems = _state(app, community_id, item_id, member_ids)
    assert stock == 0
    assert orders == 5
    assert balances == [0] * 5 + [15] * (THREADS - 5)
    assert shop == 5 * 15
    assert problems == []


def test_one_wallet_raced_by_many_orders_never_goes_negative(app, world):
    community_id, item_id, member_ids = _setup(
        app, world, 1, 45, {"name": "rice", "points": 15, "stock": 20})
    outcomes = _run(app, community_id, item_id, [(member_ids[0], 1)] * 20)
    assert outcomes.count("ok") == 3, outcomes
    assert outcomes.count("insufficient_points") == 17, outcomes
    stock, balances, orders, shop, problems = _state(app, community_id, item_id, member_ids)
    assert (stock, balances, orders, shop, problems) == (17, [0], 3, 45, [])


def test_per_member_limit_holds_under_a_race(app, world):
    community_id, item_id, member_ids = _setup(
        app, world, 1, 100, {"name": "oil", "points": 10, "stock": 50, "per_member_limit": 2})
    outcomes = _run(app, community_id, item_id, [(member_ids[0], 1)] * 12)
    assert outcomes.count("ok") == 2, outcomes
    assert outcomes.count("limit_reached") == 10, outcomes
    stock, balances, orders, shop, problems = _state(app, community_id, item_id, member_ids)
    assert (stock, balances, orders, shop, problems) == (48, [80], 2, 20, [])
