"""The marketplace's numbers on the district and community dashboards, plugged into core's
figures registry from this capability's ``init_app`` (core does not import merchants):

- vouchers redeemed in the month, and what the community owes for them: each redeemed
  voucher counts in its settlement month (the community's local month of redemption, as
  settlement reads it) at the point value copied onto it when it was redeemed, so the
  dashboard says what the monthly statements will;
- a breakdown per merchant (vouchers, points, money owed);
- the average point value of a community's active partnerships, for the money value of its
  outstanding points when the community set none itself.

Also ``active_partnerships(community_id)`` for onboarding's checklist.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.extensions import db
from core.figures.core_figures import register_point_value
from core.figures.registry import Breakdown, Figure, register_breakdown, register_figure
from core.figures.values import Money
from core.tenancy.context import all_communities
from merchants.partners.models import Merchant, Partnership, PartnershipStatus
from merchants.vouchers.models import Voucher, VoucherStatus


def _redeemed(request) -> dict:
    """``{community_id: {merchant_id: [vouchers, points, owed minor units]}}`` in the month."""

    def load():
        out = {cid: {} for cid in request.ids}
        with all_communities():
            rows = db.session.execute(
                select(Voucher.community_id, Voucher.merchant_id, func.count(), func.sum(Voucher.points),
                       func.sum(Voucher.points * func.coalesce(Voucher.point_value_minor, 0)))
                .where(Voucher.community_id.in_(request.ids), Voucher.status == VoucherStatus.REDEEMED,
                       Voucher.settlement_month == request.month.key)
                .group_by(Voucher.community_id, Voucher.merchant_id)
            ).all()
        for cid, merchant_id, count, points, owed in rows:
            out[cid][merchant_id] = [int(count), int(points or 0), int(owed or 0)]
        return out

    return request.memo(("vouchers", request.month), load)


def vouchers_redeemed(request) -> dict:
    return {cid: sum(v[0] for v in by_merchant.values()) for cid, by_merchant in _redeemed(request).items()}


def owed_to_merchants(request) -> dict:
    currency = {c.id: c.currency for c in request.communities}
    return {cid: Money(sum(v[2] for v in by_merchant.values()), currency[cid])
            for cid, by_merchant in _redeemed(request).items()}


def by_merchant(request) -> list[dict]:
    redeemed = _redeemed(request)
    ids = {m for by in redeemed.values() for m in by}
    names = dict(db.session.execute(select(Merchant.id, Merchant.name).where(Merchant.id.in_(ids))).all()) \
        if ids else {}
    currency = {c.id: c.currency for c in request.communities}
    rows = [
        {"community_id": cid, "merchant": names.get(merchant_id, ""), "vouchers": count, "points": points,
         "owed": Money(owed, currency[cid])}
        for cid, by in redeemed.items() for merchant_id, (count, points, owed) in by.items()
    ]
    return sorted(rows, key=lambda r: (str(r["community_id"]), -r["owed"].minor, r["merchant"]))


def average_point_value(community_ids) -> dict:
    """``{community_id: minor units per point}``: the plain average over active partnerships."""
    with all_communities():
        rows = db.session.execute(
            select(Partnership.community_id, func.avg(Partnership.point_value_minor))
            .where(Partnership.community_id.in_(list(community_ids)),
                   Partnership.status == PartnershipStatus.ACTIVE,
                   Partnership.point_value_minor.is_not(None))
            .group_by(Partnership.community_id)
        ).all()
    return {cid: float(value) for cid, value in rows if value is not None}


def active_partnerships(community_id) -> int:
    with all_communities():
        return int(db.session.scalar(
            select(func.count()).select_from(Partnership).where(
                Partnership.community_id == community_id, Partnership.status == PartnershipStatus.ACTIVE)
        ) or 0)


def init_app(app):
    register_figure(Figure("vouchers_redeemed", _l("Vouchers redeemed"), "count", vouchers_redeemed,
                           section="merchants", order=10, series=True))
    register_figure(Figure(
        "owed_to_merchants", _l("Owed to merchants"), "money", owed_to_merchants, section="merchants",
        order=11, description=_l("Vouchers redeemed in the month at the point value of their partnership.")))
    register_breakdown(Breakdown(
        "merchants", _l("Vouchers and money owed, per merchant"),
        (("merchant", _l("Merchant"), "text"), ("vouchers", _l("Vouchers redeemed"), "count"),
         ("points", _l("Points"), "points"), ("owed", _l("Owed to merchants"), "money")),
        by_merchant, order=10))
    register_point_value(average_point_value)
