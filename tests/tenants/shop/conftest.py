import pytest
from sqlalchemy import select

import tests.tenants.shop.world  # noqa: F401  (registers the shop's world step)
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


@pytest.fixture
def in_c1(app, world):
    """For tests that use the web/api clients and also call actions directly."""
    def enter():
        return use_community(world.ids["c1"])
    return enter
