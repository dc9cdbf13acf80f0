"""Where activities meet the rules and the ledger: which rules may pay for an activity, and
paying every attendee when it closes.

Paying is set-based so that 10,000 attendees close in seconds: one query for what each
member already earned under the rule in the cap periods, ``core.ledger.actions.award_many``
for the ledger (idempotency key ``activity:<activity>:<member>``), bulk INSERTs of the rule
awards (which later caps count) and notices, and one bulk UPDATE of the sign-ups.
"""

import math
import uuid
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.bulk import insert_rows, matching, update_rows
from core.errors import ActionError
from core.extensions import db
from core.ids import new_ids
from core.ledger.actions import Cause, award_many
from core.notifications.actions import notify_many
from tenants.activities.models import Activity, Signup, SignupStatus
from tenants.activities.points import pay_for
from tenants.rules import queries as rule_queries
from tenants.rules.actions import check_award_rule
from tenants.rules.errors import RulesError
from tenants.rules.errors import message as rules_message
from tenants.rules.models import Rule, RuleAward, Unit


def usable_rules(actor) -> list[Rule]:
    """Active rules the actor's role may award (the ones that can pay for an activity)."""
    result = []
    for rule in rule_queries.rules(actor.community.id):
        try:
            check_award_rule(actor, rule)
        except RulesError:
            continue
        result.append(rule)
    return result


def rule_by_id(actor, rule_id) -> Rule | None:
    return db.session.scalar(select(Rule).where(Rule.community_id == actor.community.id, Rule.id == rule_id))


def rule_by_code(actor, code) -> Rule | None:
    return rule_queries.rule_by_code(actor.community.id, code)


def rule_of(activity: Activity) -> Rule:
    return db.session.scalar(select(Rule).where(Rule.community_id == activity.community_id,
                                                Rule.id == activity.rule_id))


def per_hour(rule: Rule) -> bool:
    return rule.unit == Unit.HOUR


def check_rule(actor, rule) -> None:
    try:
        check_award_rule(actor, rule)
    except RulesError as exc:
        raise ActionError(422 if exc.code in ("unknown_rule", "rule_retired") else 403,
                          exc.code, rules_message(exc), field="rule") from exc


def reason_for(activity: Activity, community) -> str:
    """Stored once, read by everyone: the title and the community's local date."""
    day = rule_queries.local_now(community, activity.starts_at).date().isoformat()
    return f"{activity.title} · {day}"[:200]


def _quantity(rule: Rule, minutes: int) -> int:
    """The rule award's quantity, in the rule's unit: hours (at least one) or one attendance."""
    return max(1, math.ceil(minutes / 60)) if per_hour(rule) else 1


def _room_under_caps(community, rule: Rule, member_ids, earned_at: datetime) -> dict:
    """{member id: how much more quantity the caps allow} (members without a cap: absent)."""
    room: dict[uuid.UUID, int] = {}
    for period, cap in (("day", rule.cap_day), ("month", rule.cap_month), ("year", rule.cap_year)):
        if cap is None:
            continue
        start, end = rule_queries.period_bounds(community, earned_at, period)
        used = dict(db.session.execute(
            select(RuleAward.member_id, func.sum(RuleAward.quantity))
            .where(RuleAward.rule_id == rule.id, RuleAward.earned_at >= start, RuleAward.earned_at < end)
            .group_by(RuleAward.member_id)
        ).all())
        for member_id in member_ids:
            left = cap - int(used.get(member_id) or 0)
            room[member_id] = min(room.get(member_id, left), left)
    return room


def pay_attendees(actor, activity: Activity, rule: Rule, now: datetime) -> tuple[int, int]:
    """Inside ``do_close``'s transaction: pay everyone who earned points. (paid, points)."""
    community = actor.community
    hourly = per_hour(rule)
    # plain rows, not ORM objects: only what paying reads (10,000 objects cost seconds)
    signups = db.session.execute(
        select(Signup.id, Signup.member_id, Signup.checked_in_at, Signup.checked_out_at, Signup.makeup_minutes)
        .where(Signup.activity_id == activity.id, Signup.status == SignupStatus.SIGNED_UP)
    ).all()
    earned_at = activity.ends_at
    room = _room_under_caps(community, rule, [s.member_id for s in signups], earned_at)
    reason = reason_for(activity, community)
    awards, updates, rule_rows = [], [], []
    for signup in signups:
        pay = pay_for(activity, signup, rule.points, hourly)
        if pay.points <= 0:
            updates.append({"signup_id": signup.id, "points": 0, "capped": False, "transaction_id": None})
            continue
        quantity, points, capped = _quantity(rule, pay.minutes), pay.points, False
        left = room.get(signup.member_id)
        if left is not None and quantity > left:
            capped = True
            if left <= 0:
                updates.append({"signup_id": signup.id, "points": 0, "capped": True, "transaction_id": None})
                continue
            quantity, points = left, rule.points * left
        key = f"activity:{activity.id}:{signup.member_id}"
        awards.append((signup.member_id, points, reason, key))
        updates.append({"signup_id": signup.id, "points": points, "capped": capped, "key": key,
                        "quantity": quantity, "member_id": signup.member_id})
    paid = award_many(community, awards, actor=actor.user, cause=Cause("activity", activity.id)) if awards else {}
    existing = set(db.session.scalars(select(RuleAward.transaction_id).where(
        matching(RuleAward.transaction_id, paid.values())))) if paid else set()
    fresh_ids = iter(new_ids(len(updates)))
    for row in updates:
        row["transaction_id"] = paid.get(row.pop("key", None))
        quantity, member_id = row.pop("quantity", None), row.pop("member_id", None)
        if row["transaction_id"] is not None and row["transaction_id"] not in existing:
            rule_rows.append({
                "id": next(fresh_ids), "community_id": community.id, "rule_id": rule.id, "member_id": member_id,
                "quantity": quantity, "points": row["points"], "note": activity.title[:500],
                "transaction_id": row["transaction_id"], "claim_id": None, "actor_id": actor.user.id,
                "earned_at": earned_at, "created_at": now,
            })
    insert_rows(RuleAward.__table__, rule_rows)
    table = Signup.__table__
    update_rows(table, "id", [{"id": r["signup_id"], "points": r["points"], "capped": r["capped"],
                                "transaction_id": r["transaction_id"]} for r in updates],
                where=table.c.community_id == community.id)
    earners = [(r["member_id"], {"points": r["points"], "reason": reason}) for r in rule_rows]
    notify_many(community.id, "points.received", earners, dedupe_prefix=f"activity:{activity.id}")
    return len(awards), sum(points for _m, points, _r, _k in awards)


def rule_label(rule: Rule | None) -> str:
    if rule is None:
        return ""
    if per_hour(rule):
        return _("%(name)s: %(points)d points an hour", name=rule.name, points=rule.points)
    return _("%(name)s: %(points)d points", name=rule.name, points=rule.points)
