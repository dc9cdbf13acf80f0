"""Expiring vouchers nobody redeemed. A sweep finds the communities with vouchers past their
date and sends one task per community; each task enters its community and expires its
vouchers one by one (each its own transaction). Running twice changes nothing the second time:
a voucher moves from ``issued`` to ``expired`` only once, and its refund carries an
idempotency key."""

from celery import shared_task
from sqlalchemy import select

from core.extensions import db
from core.ids import parse_id
from core.tenancy.context import all_communities, use_community
from core.tenancy.models import Community
from core.types import utcnow
from merchants.vouchers.models import Voucher, VoucherStatus

BATCH = 500


@shared_task(name="merchants.vouchers.expire_due")
def expire_due() -> int:
    """Send ``expire_community`` for each community with vouchers past their date."""
    now = utcnow()
    with all_communities():
        community_ids = list(db.session.scalars(
            select(Voucher.community_id).where(
                Voucher.status == VoucherStatus.ISSUED, Voucher.valid_until <= now).distinct()))
    db.session.rollback()
    for community_id in community_ids:
        expire_community.delay(str(community_id))
    return len(community_ids)


@shared_task(name="merchants.vouchers.expire_community")
def expire_community(community_id: str) -> int:
    from merchants.vouchers.actions import do_expire_voucher

    community_id = parse_id(community_id)
    community = db.session.get(Community, community_id)
    if community is None:
        return 0
    expired = 0
    with use_community(community.id):
        now = utcnow()
        while True:
            batch = list(db.session.scalars(
                select(Voucher).where(Voucher.status == VoucherStatus.ISSUED, Voucher.valid_until <= now)
                .order_by(Voucher.valid_until).limit(BATCH)))
            if not batch:
                break
            progressed = 0
            for voucher in batch:
                if do_expire_voucher(community, voucher, now):
                    expired += 1
                    progressed += 1
            if progressed == 0 or len(batch) < BATCH:
                break
    return expired
