"""Beat: close done orders nobody confirmed in time; escalate open orders past deadline."""

from celery import shared_task
from sqlalchemy import select

from core.extensions import db
from core.tenancy.context import all_communities, use_community
from core.types import utcnow


def _each(query, step) -> int:
    from tenants.workorders.models import WorkOrder

    with all_communities():
        rows = db.session.execute(query).all()
        db.session.rollback()
    done = 0
    for community_id, order_id in rows:
        with use_community(community_id):
            order = db.session.get(WorkOrder, {"community_id": community_id, "id": order_id})
            if order is not None and step(order):
                done += 1
    return done


@shared_task(name="workorders.auto_close")
def auto_close() -> int:
    from core.tenancy.models import Community
    from tenants.workorders.actions import do_auto_close
    from tenants.workorders.models import OrderStatus, WorkOrder

    # the exact per-community delay is checked by the action; this only narrows the scan
    query = select(WorkOrder.community_id, WorkOrder.id).where(WorkOrder.status == OrderStatus.DONE)

    def step(order):
        return do_auto_close(order, db.session.get(Community, order.community_id))

    return _each(query, step)


@shared_task(name="workorders.escalate_overdue")
def escalate_overdue() -> int:
    from tenants.workorders.actions import do_escalate
    from tenants.workorders.models import OPEN_STATUSES, WorkOrder

    query = select(WorkOrder.community_id, WorkOrder.id).where(
        WorkOrder.status.in_(OPEN_STATUSES), WorkOrder.escalated_at.is_(None), WorkOrder.deadline_at <= utcnow())
    return _each(query, do_escalate)
