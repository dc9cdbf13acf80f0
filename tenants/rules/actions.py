"""State changes of rules and awards. Each ``do_*`` owns its transaction and writes an audit
row; every check runs before the first write, so a refused request leaves nothing behind.

Caps and concurrency: an award first locks the member rows it will credit (in id order,
``SELECT ... FOR NO KEY UPDATE`` on PostgreSQL; on SQLite ``BEGIN IMMEDIATE`` already
serialises writers), then counts what the member already has under the rule, then posts.
Two concurrent awards to one member therefore count one after the other, and neither can
slip past a cap. ``NO KEY UPDATE`` rather than ``UPDATE``: it does not conflict with the
``KEY SHARE`` lock that foreign-key checks take when the ledger inserts a transaction that
names the member, so a shop spend (which locks the wallet, then inserts) can never deadlock
with an award (which locks the member, then the wallet).
"""

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.audit.actions import record
from core.extensions import db
from core.identity.models import Member, Role
from core.ledger import actions as ledger
from core.ledger.actions import Cause
from core.tenancy.access import Actor
from core.transactions import atomic
from core.types import utcnow
from tenants.rules import queries
from tenants.rules.errors import (
    MAX_MEMBERS,
    MAX_NOTE,
    MAX_QUANTITY,
    CapHit,
    RulesError,
)
from tenants.rules.models import Rule, RuleAward, RuleTemplate, Unit

RULE_FIELDS = (
    "name", "category", "points", "unit", "needs_evidence", "needs_approval",
    "residents_may_claim", "grid_workers_may_award", "admins_may_award",
    "cap_day", "cap_month", "cap_year",
)


# --- rules -------------------------------------------------------------------------------------


def _require_admin(actor: Actor) -> None:
    if not actor.can(Role.ADMIN):
        raise RulesError("not_allowed")


def do_create_rule(actor: Actor, *, code: str, **fields) -> Rule:
    _require_admin(actor)
    community_id = actor.community.id
    if queries.rule_by_code(community_id, code) is not None:
        raise RulesError("code_taken", field="code")
    try:
        with atomic():
            rule = Rule(community_id=community_id, code=code, **_rule_values(fields))
            db.session.add(rule)
            db.session.flush()
            record("rule.created", actor.user, rule=rule.id, code=code, points=rule.points)
    except IntegrityError as exc:  # created concurrently under the same code
        raise RulesError("code_taken", field="code") from exc
    return rule


def do_update_rule(actor: Actor, rule: Rule, **fields) -> Rule:
    """Change a rule; awards already made keep the points they were made with."""
    _require_admin(actor)
    with atomic():
        values = _rule_values(fields, partial=True)
        for name, value in values.items():
            setattr(rule, name, value)
        record("rule.updated", actor.user, rule=rule.id, **values)
    return rule


def do_retire_rule(actor: Actor, rule: Rule, retired: bool = True) -> Rule:
    _require_admin(actor)
    with atomic():
        rule.active = not retired
        rule.retired_at = utcnow() if retired else None
        record("rule.retired" if retired else "rule.restored", actor.user, rule=rule.id)
    return rule


def do_delete_rule(actor: Actor, rule: Rule) -> None:
    """Only a rule nobody has used yet; a used rule is retired, so its history stays readable."""
    _require_admin(actor)
    if queries.rule_is_used(rule):
        raise RulesError("rule_used")
    with atomic():
        record("rule.deleted", actor.user, rule=rule.id, code=rule.code)
        db.session.delete(rule)


def _rule_values(fields: dict, partial: bool = False) -> dict:
    values = {k: v for k, v in fields.items() if k in RULE_FIELDS}
    if "unit" in values:
        values["unit"] = Unit(values["unit"])
    if not partial:
        values.setdefault("category", "")
    return values


# --- district templates ----------------------------------------------------------------------


def do_add_template(district, *, code: str, actor=None, **fields) -> RuleTemplate:
    with atomic():
        template = RuleTemplate(district_id=district.id, code=code, **_rule_values(fields))
        db.session.add(template)
        db.session.flush()
        record("rule_template.added", actor, district=district.id, code=code)
    return template


def copy_templates(community, district, actor=None) -> int:
    """The community-creation hook: the district's templates become the community's rules.

    Runs inside ``do_create_community``'s transaction, scoped to the new community."""
    count = 0
    for template in queries.templates_of(district.id):
        if queries.rule_by_code(community.id, template.code) is not None:
            continue
        values = {name: getattr(template, name) for name in RULE_FIELDS}
        db.session.add(Rule(community_id=community.id, code=template.code, **values))
        count += 1
    db.session.flush()
    if count:
        record("rule.templates_copied", actor, community_id=community.id, district=district.id,
               rules=count)
    return count


# --- awards ------------------------------------------------------------------------------------


def check_quantity(quantity) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise RulesError("bad_quantity", field="quantity")
    return quantity


def check_note(note) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise RulesError("note_too_long", field="note")
    return note


def lock_members(members) -> None:
    """Serialise awards per member (see the module doc). Always in id order: no deadlocks."""
    ids = sorted({m.id for m in members})
    if ids:
        db.session.execute(
            select(Member.id).where(Member.id.in_(ids)).order_by(Member.id)
            .with_for_update(key_share=True)
        ).all()


def ledger_key(*parts) -> str:
    """A ledger idempotency key from the caller's key and what makes it unique (the user who
    sent it, the member credited): two clients' keys can never collide."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return f"award:{digest[:56]}"


def reason_for(rule: Rule, quantity: int, community, earned_at: datetime) -> str:
    """The stored reason, readable in any language: the rule's own name, the quantity when
    more than one, and the community's local date in ISO form ("环境卫生大扫除 · 2025-05-12").
    Built without the request's locale because it is stored once and read by everyone."""
    day = queries.local_now(community, earned_at).date().isoformat()
    name = rule.name if quantity == 1 else f"{rule.name} ×{quantity}"
    return f"{name} · {day}"


def check_award_rule(actor: Actor, rule: Rule | None) -> Rule:
    if rule is None:
        raise RulesError("unknown_rule", field="rule")
    if not rule.active:
        raise RulesError("rule_retired", field="rule")
    allowed = rule.admins_may_award if actor.can(Role.ADMIN) else (
        rule.grid_workers_may_award if actor.can(Role.GRID_WORKER) else False
    )
    if not allowed:
        raise RulesError("rule_not_for_role", field="rule")
    return rule


def do_award_points(actor: Actor, rule: Rule | None, members: list[Member], quantity,
                    note: str = "", *, idempotency_key: str | None = None,
                    now: datetime | None = None) -> list[RuleAward]:
    """Award ``rule`` x ``quantity`` to each member, all in one transaction or not at all.

    With ``idempotency_key`` a repeat returns the first awards and moves nothing. If any
    member would pass a cap, nothing is awarded and ``RulesError("cap_reached")`` lists them.
    """
    if not actor.can(Role.GRID_WORKER):
        raise RulesError("not_allowed")
    rule = check_award_rule(actor, rule)
    quantity = check_quantity(quantity)
    note = check_note(note)
    members = list({m.id: m for m in members}.values())
    if not members:
        raise RulesError("no_members", field="members")
    if len(members) > MAX_MEMBERS:
        raise RulesError("too_many_members", field="members")
    if any(m.community_id != actor.community.id or not m.active for m in members):
        raise RulesError("unknown_member", field="member")
    now = now or utcnow()
    with atomic():
        lock_members(members)
        grants = [
            Grant(m, quantity, note, ledger_key(actor.user.id, idempotency_key, m.id)
                  if idempotency_key else None, earned_at=now)
            for m in members
        ]
        awards, created = grant_all(actor, rule, grants, cause=Cause("rule", rule.id))
        if created:
            record("rule.awarded", actor.user, rule=rule.id, quantity=quantity,
                   members=[a.member_id for a in created], points=rule.points * quantity)
    return awards


class Grant:
    """One member's share of an award request (or one approved claim)."""

    def __init__(self, member, quantity, note, key, *, earned_at, claim=None):
        self.member, self.quantity, self.note, self.key = member, quantity, note, key
        self.earned_at, self.claim = earned_at, claim


def grant_all(actor: Actor, rule: Rule, grants: list[Grant], *, cause=None):
    """Inside the caller's transaction, with the members locked: replay what was already
    awarded under the same keys, refuse everything if a cap would be passed, else award.

    Returns (every award, in order; the ones created now)."""
    community = actor.community
    awards, todo = [], []
    for grant in grants:
        previous = ledger.existing_transaction(community.id, grant.key)
        replay = previous and db.session.scalar(select(RuleAward).where(
            RuleAward.community_id == community.id, RuleAward.transaction_id == previous.id))
        if replay:
            if (replay.member_id, replay.rule_id, replay.quantity) != (
                grant.member.id, rule.id, grant.quantity
            ):
                raise ledger.IdempotencyKeyReused("this key was used for another award")
            awards.append(replay)
        else:
            todo.append(grant)
    hits, pending, created = [], {}, []
    for grant in todo:
        so_far = pending.get(grant.member.id, 0)
        over = queries.first_cap_exceeded(community, rule, grant.member.id, grant.quantity,
                                          grant.earned_at, extra=so_far)
        if over:
            hits.append(CapHit(grant.member.id, grant.member.name, over.period, over.cap,
                               over.used, claim_id=grant.claim.id if grant.claim else None))
        pending[grant.member.id] = so_far + grant.quantity
    if hits:
        raise RulesError("cap_reached", hits=hits)
    for grant in todo:
        points = rule.points * grant.quantity
        transaction = ledger.award(
            community, grant.member, points,
            reason=reason_for(rule, grant.quantity, community, grant.earned_at),
            actor=actor.user,
            cause=Cause("claim", grant.claim.id) if grant.claim else cause,
            idempotency_key=grant.key,
        )
        award = RuleAward(
            community_id=community.id, rule_id=rule.id, member_id=grant.member.id,
            quantity=grant.quantity, points=points, note=grant.note, earned_at=grant.earned_at,
            transaction_id=transaction.id, actor_id=actor.user.id,
            claim_id=grant.claim.id if grant.claim else None,
        )
        db.session.add(award)
        awards.append(award)
        created.append(award)
    db.session.flush()
    return awards, created
