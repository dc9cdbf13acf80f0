"""Access to work orders: inside the actor's community, staff see every order; a resident
sees the orders they reported and the ones handed to them or their team. Anything else,
missing or another community's: ``NotFound`` (404) alike."""

from sqlalchemy import select

from core.extensions import db
from core.ids import parse_id
from core.tenancy.access import NotFound
from tenants.grid.queries import is_team_member
from tenants.workorders.models import OrderCategory, WorkOrder


def can_see(actor, order) -> bool:
    if actor.is_staff:
        return True
    member = actor.member
    if member is None:
        return False
    return (order.reporter_id == member.id or order.assignee_id == member.id
            or (order.team_id is not None and is_team_member(order.team_id, member.id)))


def access_order(actor, order_id) -> WorkOrder:
    order_id = parse_id(order_id)
    order = order_id and db.session.scalar(
        select(WorkOrder).where(WorkOrder.id == order_id, WorkOrder.community_id == actor.community.id)
    )
    if order is None or not can_see(actor, order):
        raise NotFound(order_id)
    return order


def access_category(actor, category_id) -> OrderCategory:
    category_id = parse_id(category_id)
    category = category_id and db.session.scalar(
        select(OrderCategory).where(OrderCategory.id == category_id,
                                    OrderCategory.community_id == actor.community.id)
    )
    if category is None:
        raise NotFound(category_id)
    return category
