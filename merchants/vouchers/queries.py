"""Reading vouchers: a resident's own, staff's view of their community, a merchant's list."""

from sqlalchemy import select

from core.extensions import db
from core.ids import parse_id
from core.tenancy.access import NotFound
from core.tenancy.models import Community
from merchants.partners.models import Merchant
from merchants.vouchers.models import Voucher, VoucherStatus


def access_voucher(actor, voucher_id) -> Voucher:
    """A voucher of the actor's community: staff see any, a resident only their own; anything
    else (another community's, another resident's, no such id) is NotFound."""
    voucher_id = parse_id(voucher_id)
    voucher = voucher_id and db.session.scalar(select(Voucher).where(
        Voucher.community_id == actor.community.id, Voucher.id == voucher_id))
    if voucher is None:
        raise NotFound(voucher_id)
    if not actor.is_staff and (actor.member is None or actor.member.id != voucher.member_id):
        raise NotFound(voucher_id)
    return voucher


def member_vouchers(member, *, limit=100, offset=0) -> list[tuple[Voucher, Merchant]]:
    query = (
        select(Voucher, Merchant)
        .join(Merchant, Merchant.id == Voucher.merchant_id)
        .where(Voucher.community_id == member.community_id, Voucher.member_id == member.id)
        .order_by(Voucher.created_at.desc(), Voucher.id.desc())
        .offset(offset).limit(limit)
    )
    return [tuple(row) for row in db.session.execute(query)]


def merchant_redemptions(merchant_id, *, limit=50, offset=0) -> list[tuple[Voucher, Community]]:
    """The merchant's redeemed vouchers, newest first (read in the merchant's scope)."""
    query = (
        select(Voucher, Community)
        .join(Community, Community.id == Voucher.community_id)
        .where(Voucher.merchant_id == merchant_id, Voucher.status == VoucherStatus.REDEEMED)
        .order_by(Voucher.redeemed_at.desc(), Voucher.id.desc())
        .offset(offset).limit(limit)
    )
    return [tuple(row) for row in db.session.execute(query)]
