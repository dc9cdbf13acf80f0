"""Claims (自主申报): a resident reports a deed; staff approve (points awarded) or reject it
(with a reason the resident reads). Deciding is idempotent: approving twice awards once,
because the claim row is locked and its status checked first, and the ledger key is the
claim's own id.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.audit.actions import record
from core.extensions import db
from core.identity.models import Role
from core.ids import parse_id
from core.tenancy.access import Actor
from core.transactions import atomic
from core.types import utcnow
from tenants.rules import photos, queries
from tenants.rules.actions import (
    Grant,
    check_note,
    check_quantity,
    grant_all,
    ledger_key,
    lock_members,
)
from tenants.rules.errors import MAX_MEMBERS, MAX_REASON, CapHit, RulesError
from tenants.rules.models import Claim, ClaimStatus, Rule


def check_claim_rule(rule: Rule | None) -> Rule:
    if rule is None:
        raise RulesError("unknown_rule", field="rule")
    if not rule.active:
        raise RulesError("rule_retired", field="rule")
    if not rule.residents_may_claim:
        raise RulesError("rule_not_claimable", field="rule")
    return rule


def do_submit_claim(actor: Actor, rule: Rule | None, quantity, note, *, photo: bytes | None = None,
                    idempotency_key: str | None = None, now: datetime | None = None) -> Claim:
    """File a claim for the actor themselves. ``photo`` is an already re-encoded JPEG
    (``photos.reencode``). A rule that needs no approval is awarded at once."""
    member = actor.member
    if member is None:
        raise RulesError("not_a_member")
    rule = check_claim_rule(rule)
    quantity = check_quantity(quantity)
    note = check_note(note)
    if not note:
        raise RulesError("note_required", field="note")
    if rule.needs_evidence and not photo:
        raise RulesError("photo_required", field="photo")
    request_key = ledger_key("claim", actor.user.id, idempotency_key) if idempotency_key else None
    previous = _claim_by_key(actor, request_key)
    if previous is not None:
        return previous
    now = now or utcnow()
    over = queries.first_cap_exceeded(actor.community, rule, member.id, quantity, now)
    if over:
        raise RulesError("cap_reached", hits=[
            CapHit(member.id, member.name, over.period, over.cap, over.used)])
    stored = photos.store(actor.community.id, photo) if photo else None
    try:
        with atomic():
            claim = Claim(
                community_id=actor.community.id, rule_id=rule.id, member_id=member.id,
                quantity=quantity, note=note, photo=stored, status=ClaimStatus.PENDING,
                request_key=request_key, created_at=now,
            )
            db.session.add(claim)
            db.session.flush()
            record("claim.submitted", actor.user, claim=claim.id, rule=rule.id, quantity=quantity)
            if not rule.needs_approval:
                lock_members([member])
                _approve(actor, [claim], reason=None, now=now)
    except BaseException as exc:
        if stored:
            photos.remove(actor.community.id, stored)
        if isinstance(exc, IntegrityError) and request_key:
            previous = _claim_by_key(actor, request_key)  # a concurrent retry made it first
            if previous is not None:
                return previous
        raise
    return claim


def _claim_by_key(actor: Actor, request_key) -> Claim | None:
    if not request_key:
        return None
    return db.session.scalar(select(Claim).where(
        Claim.community_id == actor.community.id, Claim.request_key == request_key))


def do_decide_claims(actor: Actor, claim_ids, *, approve: bool, reason: str = "",
                     now: datetime | None = None) -> list[Claim]:
    """Approve or reject claims, all or none. Repeating a decision changes nothing; the
    opposite decision on a decided claim is refused (``already_decided``)."""
    if not actor.can(Role.GRID_WORKER):
        raise RulesError("not_allowed")
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise RulesError("reason_too_long", field="reason")
    if not approve and not reason:
        raise RulesError("reason_required", field="reason")
    parsed = [parse_id(c) for c in claim_ids]
    if not parsed or None in parsed:
        raise RulesError("unknown_claim", field="claims")
    ids = sorted(set(parsed))
    if len(ids) > MAX_MEMBERS:
        raise RulesError("too_many_members", field="claims")
    now = now or utcnow()
    with atomic():
        claims = list(db.session.scalars(
            select(Claim).where(Claim.community_id == actor.community.id, Claim.id.in_(ids))
            .order_by(Claim.id).with_for_update().execution_options(populate_existing=True)
        ))
        if len(claims) != len(ids):
            raise RulesError("unknown_claim", field="claims")
        if actor.member is not None and any(c.member_id == actor.member.id for c in claims):
            raise RulesError("own_claim")
        opposite = ClaimStatus.REJECTED if approve else ClaimStatus.APPROVED
        if any(c.status == opposite for c in claims):
            raise RulesError("already_decided")
        todo = [c for c in claims if c.status == ClaimStatus.PENDING]
        if approve:
            lock_members([c.member for c in todo])
            _approve(actor, todo, reason=reason or None, now=now)
        else:
            for claim in todo:
                claim.status = ClaimStatus.REJECTED
                claim.decided_by_id = actor.user.id
                claim.decided_at = now
                claim.decision_reason = reason
        if todo:
            record("claim.approved" if approve else "claim.rejected", actor.user,
                   claims=[c.id for c in todo], reason=reason)
    return claims


def _approve(actor: Actor, claims: list[Claim], *, reason, now) -> None:
    """Award each claim under its rule (members already locked). Cap hits are gathered over
    every rule, then raised together: the caller's transaction rolls everything back."""
    by_rule: dict = {}
    for claim in claims:
        by_rule.setdefault(claim.rule_id, []).append(claim)
    hits = []
    for claims_of_rule in by_rule.values():
        rule = claims_of_rule[0].rule
        grants = [
            Grant(c.member, c.quantity, c.note, f"claim:{c.id}", earned_at=c.created_at, claim=c)
            for c in claims_of_rule
        ]
        try:
            awards, _created = grant_all(actor, rule, grants)
        except RulesError as exc:
            hits += exc.hits
            continue
        for claim, award in zip(claims_of_rule, awards, strict=True):
            claim.status = ClaimStatus.APPROVED
            claim.decided_by_id = actor.user.id if claim.member_id != _own(actor) else None
            claim.decided_at = now
            claim.decision_reason = reason
            claim.transaction_id = award.transaction_id
            claim.points = award.points
    if hits:
        raise RulesError("cap_reached", hits=hits)


def _own(actor: Actor):
    return actor.member.id if actor.member else None
