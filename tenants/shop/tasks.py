"""Celery tasks: expire uncollected orders, remind residents before a window closes.

A sweep (run by beat) lists the communities and sends one task per community, which enters
that community itself; both kinds are idempotent, so a retry or an overlap does no harm.
"""

from celery import shared_task
from sqlalchemy import select

from core.extensions import db
from core.tenancy.context import all_communities, use_community
from core.tenancy.models import Community


def _community(community_id):
    from core.ids import parse_id

    community_id = parse_id(community_id)
    return db.session.get(Community, community_id) if community_id else None


@shared_task(name="shop.expire_orders", ignore_result=True)
def expire_orders(community_id: str) -> int:
    from tenants.shop.actions import do_expire_orders

    community = _community(community_id)
    if community is None:
        return 0
    with use_community(community.id):
        return do_expire_orders(community)


@shared_task(name="shop.send_closing_reminders", ignore_result=True)
def send_closing_reminders(community_id: str) -> int:
    from tenants.shop.actions import do_send_closing_reminders

    community = _community(community_id)
    if community is None:
        return 0
    with use_community(community.id):
        return do_send_closing_reminders(community)


def _communities_with(model, *conditions) -> list:
    with all_communities():
        ids = db.session.scalars(select(model.community_id).where(*conditions).distinct()).all()
    db.session.rollback()  # end the cross-community read before any tenant work
    return [str(i) for i in ids]


@shared_task(name="shop.sweep_expired_orders", ignore_result=True)
def sweep_expired_orders() -> int:
    from core.types import utcnow
    from tenants.shop.models import OrderStatus, ShopOrder

    ids = _communities_with(ShopOrder, ShopOrder.status == OrderStatus.RESERVED,
                            ShopOrder.expires_at <= utcnow())
    for community_id in ids:
        expire_orders.delay(community_id)
    return len(ids)


@shared_task(name="shop.sweep_closing_reminders", ignore_result=True)
def sweep_closing_reminders() -> int:
    from tenants.shop.models import ShopWindow

    ids = _communities_with(ShopWindow)
    for community_id in ids:
        send_closing_reminders.delay(community_id)
    return len(ids)


BEAT_SCHEDULE = {
    "shop-expire-orders": {"task": "shop.sweep_expired_orders", "schedule": 3600.0},
    "shop-closing-reminders": {"task": "shop.sweep_closing_reminders", "schedule": 900.0},
}
