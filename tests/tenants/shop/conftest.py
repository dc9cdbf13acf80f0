from contextlib import contextmanager

import pytest
from sqlalchemy import select

from core.extensions import db
from core.identity.models import Member
from core.ledger import actions as ledger
from core.tenancy.context import use_community
from core.transactions import atomic


def member(world, name):
    return db.session.scalar(select(Member).where(Member.id == world.member_id(name)))


def give(world, name, points, community="c1"):
    """Award points for real (inside the test's rolled-back transaction)."""
    c = world.community(community)
    with atomic():
        return ledger.award(c, member(world, name), points, reason="test award")


@pytest.fixture
def c1(ctx, world):
    with use_community(world.ids["c1"]):
        yield world.community("c1")


@contextmanager
def inside(app, world, name="c1"):
    """Act directly (actions, queries) between requests of the web/api clients. Each request
    resets the tenant scope when it ends, so direct work happens inside these blocks."""
    with app.app_context(), use_community(world.ids[name]):
        yield world.community(name)


def balance_of(app, world, name):
    from core.ledger.queries import balance

    community = name.split("_")[0]
    with inside(app, world, community):
        return balance(member(world, name))


def stock_of(app, world, item_id, community="c1"):
    from tenants.shop.queries import item_by_id

    with inside(app, world, community):
        return item_by_id(item_id).stock


def row_counts(app, world, community="c1"):
    from sqlalchemy import func

    from core.ledger.models import LedgerPosting
    from tenants.shop.models import ShopItem, ShopOrder

    with inside(app, world, community):
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (ShopOrder, LedgerPosting, ShopItem))
