"""Helpers for the marketplace's tests: points through the real ledger, actors as the
requests would build them, and URLs."""

from contextlib import contextmanager

from sqlalchemy import func, select

from core.extensions import db
from core.identity.models import Member, User
from core.ledger import actions as ledger
from core.tenancy.context import use_community, use_merchant
from core.transactions import atomic


def community_of(name: str) -> str:
    return name.split("_")[0]


def member(world, name) -> Member:
    return db.session.scalar(select(Member).where(Member.id == world.member_id(name)))


def award(app, world, name, points):
    """Give the world's resident ``name`` points (inside the test's rolled-back transaction)."""
    c = community_of(name)
    with app.app_context(), use_community(world.ids[c]):
        with atomic():
            ledger.award(world.community(c), member(world, name), points, reason="test points")


def balance(app, world, name) -> int:
    from core.ledger.queries import balance as ledger_balance

    c = community_of(name)
    with app.app_context(), use_community(world.ids[c]):
        return ledger_balance(member(world, name))


@contextmanager
def in_community(app, world, c):
    with app.app_context(), use_community(world.ids[c]):
        yield world.community(c)


@contextmanager
def as_merchant(app, world, m, login=None):
    """A MerchantActor for merchant ``m`` (its owner unless ``login``), in its scope."""
    from merchants.partners.access import enter_merchant
    from merchants.partners.models import Merchant

    with app.app_context():
        merchant = db.session.get(Merchant, world.ids[m])
        user = db.session.scalar(select(User).where(User.login == (login or f"{m}_owner")))
        with use_merchant(merchant.id):
            yield enter_merchant(merchant.slug, user)


def count(app, model, *where) -> int:
    """Rows of ``model`` in the whole database (every community)."""
    from core.tenancy.context import all_communities

    with app.app_context(), all_communities():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def offers_url(world, c):
    return f"/api/v1/c/{world.slugs[c]}/offers"


def claim_url(world, c, offer):
    return f"/api/v1/c/{world.slugs[c]}/offers/{world.ids['offer:' + offer]}/claims"


def redeem_url(world, m):
    return f"/api/v1/merchants/{world.slugs[m]}/redemptions"
