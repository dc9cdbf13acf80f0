"""Access to one rule or claim: filtered by community in the query; missing, another
community's, and not yours all raise the same ``NotFound`` (404)."""

from sqlalchemy import select

from core.extensions import db
from core.ids import parse_id
from core.tenancy.access import Actor, NotFound
from tenants.rules.models import Claim, Rule


def access_rule(actor: Actor, rule_id) -> Rule:
    """Any member may read a rule of their community (the list of what earns points)."""
    rule_id = parse_id(rule_id)
    rule = rule_id and db.session.scalar(
        select(Rule).where(Rule.id == rule_id, Rule.community_id == actor.community.id)
    )
    if rule is None:
        raise NotFound(rule_id)
    return rule


def access_claim(actor: Actor, claim_id, *, for_update: bool = False) -> Claim:
    """Staff see every claim of the community; a resident only their own."""
    claim_id = parse_id(claim_id)
    if claim_id is None:
        raise NotFound(claim_id)
    query = select(Claim).where(Claim.id == claim_id, Claim.community_id == actor.community.id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    claim = db.session.scalar(query)
    if claim is None:
        raise NotFound(claim_id)
    if not actor.is_staff and (actor.member is None or actor.member.id != claim.member_id):
        raise NotFound(claim_id)
    return claim
