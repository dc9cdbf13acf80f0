import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.ledger.models import LedgerPosting, LedgerTransaction
from core.tenancy.context import all_communities
from tenants.rules.models import Claim, Rule, RuleAward


def _count(model):
    with all_communities():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def counts(app, rollback):
    """Row counts of everything these features write: ``counts()`` now, compare later."""

    def snapshot():
        with app.app_context():
            return {m.__tablename__: _count(m)
                    for m in (Rule, RuleAward, Claim, LedgerTransaction, LedgerPosting)}

    return snapshot


@pytest.fixture
def urls(world):
    """``urls("c1", "/rules")`` -> the community page or API address."""

    def make(community, path, api=False):
        prefix = "/api/v1/c/" if api else "/c/"
        return f"{prefix}{world.slugs[community]}{path}"

    return make


def balance_of(app, world, name):
    from core.identity.models import Member
    from core.ledger.queries import balance
    from core.tenancy.context import use_community

    community = name.split("_")[0]
    with app.app_context(), use_community(world.ids[community]):
        member = db.session.scalar(select(Member).where(Member.id == world.member_id(name)))
        return balance(member)
