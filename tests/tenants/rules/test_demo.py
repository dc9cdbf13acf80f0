"""`linli demo` gives every demo community the district's rule templates and some history."""

from sqlalchemy import select

from core.extensions import db
from core.tenancy.context import use_community
from tenants.rules.models import Claim, Rule, RuleAward, RuleTemplate


def test_demo_rules_and_history(ctx):
    from core.demo import load_demo
    from core.ledger.queries import verify

    loaded = load_demo()
    heping = loaded["districts"]["heping"]
    codes = set(db.session.scalars(select(RuleTemplate.code).where(RuleTemplate.district_id == heping.id)))
    assert {"early_fire", "illegal_guesthouse", "cleanup", "volunteer_hour", "training"} <= codes
    for slug, community in loaded["communities"].items():
        with use_community(community.id):
            rules = {r.code: r for r in db.session.scalars(select(Rule))}
            assert rules["early_fire"].points == 10 and rules["early_fire"].category == "安全隐患"
            assert rules["volunteer_hour"].unit.value == "hour"
            assert db.session.scalar(select(db.func.count()).select_from(RuleAward)) == 4
            assert db.session.scalar(select(db.func.count()).select_from(Claim)) == 1
            assert verify([community.id]) == [], slug
