"""Where work orders meet the rules and the ledger.

Handlers are paid when the order closes (confirmed by the resident, or closed by itself):
each under the category's rule (its points once, or per hour for a rule paid per hour, with
the hours the handler recorded), each with the category's bonus when the rating is good.
A hazard's reporter is paid under the category's reporter rule when a grid worker accepts
or dispatches the report: that is the grid worker confirming the hazard is real (核单).

Every award is made by the grid worker who took the order (the awarder the rule checks),
with the cause ("workorder", order id) and an idempotency key per order and person, so no
step run twice pays twice. A member over a rule's cap is simply not paid under it.
"""

from sqlalchemy import select

from core.extensions import db
from core.identity.models import Member
from core.ledger import actions as ledger
from core.ledger.actions import Cause
from core.notifications.actions import notify
from core.tenancy.access import Actor
from core.types import utcnow
from tenants.rules.actions import Grant, check_award_rule, grant_all, lock_members
from tenants.rules.errors import RulesError
from tenants.rules.models import Rule, Unit


def rule(rule_id) -> Rule | None:
    if rule_id is None:
        return None
    return db.session.scalar(select(Rule).where(Rule.id == rule_id))


def rule_by_code(community_id, code) -> Rule | None:
    from tenants.rules.queries import rule_by_code as by_code

    return by_code(community_id, code)


def rules_for_categories(community_id) -> list[Rule]:
    from tenants.rules.queries import rules

    return rules(community_id)


def is_per_hour(rule_row) -> bool:
    return rule_row.unit == Unit.HOUR


def awarder(order, community) -> Actor | None:
    """The staff member who took the order, as the actor who awards its points."""
    if order.taken_by_id is None:
        return None
    member = db.session.scalar(select(Member).where(Member.id == order.taken_by_id))
    if member is None:
        return None
    return Actor(member.user, community, member, member.role)


def _grant(actor, rule_row, member, quantity, key, note, cause) -> int:
    """Award ``rule_row`` x ``quantity`` to ``member``; 0 when a cap or the role stops it."""
    try:
        check_award_rule(actor, rule_row)
        lock_members([member])
        awards, created = grant_all(actor, rule_row, [Grant(member, quantity, note, key, earned_at=utcnow())],
                                    cause=cause)
    except RulesError:
        return 0
    points = awards[0].points if awards else 0
    if created:
        notify(member, "points.received", points=points, reason=rule_row.name)
    return points


def pay_reporter(order, category, community, actor) -> int:
    reporter_rule = rule(category.reporter_rule_id)
    if reporter_rule is None or order.reporter_paid:
        return 0
    reporter = db.session.scalar(select(Member).where(Member.id == order.reporter_id))
    points = _grant(actor, reporter_rule, reporter, 1, f"workorder:{order.id}:reporter",
                    f"#{order.number}", Cause("workorder", order.id))
    order.reporter_paid = points > 0
    return points


def pay_handlers(order, category, community, handlers) -> dict:
    """{member id: points} for each handler (``OrderHandler`` rows), bonus included."""
    from tenants.workorders.settings import good_rating

    actor = awarder(order, community)
    handler_rule = rule(category.rule_id)
    paid = {}
    for row in handlers:
        member = row.member
        points = 0
        if actor is not None and handler_rule is not None:
            quantity = (order.hours or 1) if handler_rule.unit == Unit.HOUR else 1
            points = _grant(actor, handler_rule, member, quantity, f"workorder:{order.id}:{member.id}",
                            f"#{order.number}", Cause("workorder", order.id))
        if category.bonus_points and order.rating and order.rating >= good_rating(community):
            reason = f"{category.name} #{order.number} ★{order.rating}"
            ledger.award(community, member, category.bonus_points, reason=reason,
                         actor=actor.user if actor else None, cause=Cause("workorder", order.id),
                         idempotency_key=f"workorder:{order.id}:bonus:{member.id}", kind="bonus")
            notify(member, "points.received", points=category.bonus_points, reason=reason)
            points += category.bonus_points
        row.points = points
        paid[member.id] = points
    return paid
