"""Vouchers over the API: claiming (members), a community's vouchers, cancelling, and the
merchant's counter (redemptions)."""

from flask import g
from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from core.api.framework import ApiError, community_api_blueprint, idempotent, not_found
from core.extensions import db
from core.tenancy.access import NotFound, access_member
from merchants.api_support import PageArgs, market_errors, merchant_api_blueprint, page
from merchants.offers.queries import access_offer
from merchants.partners.models import Merchant
from merchants.vouchers import actions, codes
from merchants.vouchers.counter import at_counter
from merchants.vouchers.models import Voucher
from merchants.vouchers.queries import access_voucher, merchant_redemptions

claims = community_api_blueprint("api_voucher_claims", __name__, "/offers",
                                 description="Claiming vouchers with points")
community_vouchers = community_api_blueprint("api_community_vouchers", __name__, "/vouchers",
                                             description="A community's vouchers")
redemptions = merchant_api_blueprint("api_redemptions", __name__, "/redemptions",
                                     description="The merchant's counter")


class VoucherClaimIn(Schema):
    member = fields.String(load_default=None, validate=validate.Length(max=64),
                           metadata={"description": "the member's id; a resident may leave it out"})


class VoucherOut(Schema):
    id = fields.UUID()
    code = fields.Method("_code")
    status = fields.Function(lambda v: v.phase())
    offer = fields.UUID(attribute="offer_id")
    title = fields.String()
    kind = fields.String()
    points = fields.Integer()
    terms = fields.String(allow_none=True)
    member = fields.UUID(attribute="member_id")
    merchant = fields.Method("_merchant")
    valid_from = fields.DateTime()
    valid_until = fields.DateTime()
    claimed_at = fields.DateTime(attribute="created_at")
    redeemed_at = fields.DateTime(allow_none=True)

    def _code(self, voucher):
        code = actions.voucher_code(voucher)
        return codes.grouped(code) if code else None

    def _merchant(self, voucher):
        return db.session.scalar(select(Merchant.slug).where(Merchant.id == voucher.merchant_id))


class VoucherEnvelope(Schema):
    voucher = fields.Nested(VoucherOut)


class VoucherList(Schema):
    items = fields.List(fields.Nested(VoucherOut))
    next_cursor = fields.String(allow_none=True)


def _member_for_claim(member_id):
    if member_id is None:
        if g.actor.member is None:
            raise ApiError(422, "invalid", _("Some fields are not valid."),
                           errors={"member": [_("Say which member the voucher is for.")]})
        return g.actor.member
    try:
        return access_member(g.actor, member_id)
    except NotFound as exc:
        raise ApiError(422, "invalid", _("Some fields are not valid."),
                       errors={"member": [_("No such member in this community.")]}) from exc


@claims.route("/<offer_id>/claims")
class Claims(MethodView):
    @idempotent
    @claims.arguments(VoucherClaimIn)
    @claims.response(201, VoucherEnvelope)
    def post(self, body, offer_id):
        """Claim a voucher: the member's points are taken in one ledger transaction (the
        member, or staff for a member). Send an ``Idempotency-Key`` to retry safely."""
        with market_errors():
            offer = access_offer(g.actor, offer_id)
        member = _member_for_claim(body.get("member"))
        with market_errors():
            claimed = actions.do_claim_voucher(g.actor, offer, member,
                                               idempotency_key=g.get("idempotency_key"))
        return {"voucher": claimed.voucher}


class VoucherArgs(PageArgs):
    member = fields.String(load_default=None, validate=validate.Length(max=64))


@community_vouchers.route("")
class CommunityVouchers(MethodView):
    @community_vouchers.arguments(VoucherArgs, location="query")
    @community_vouchers.response(200, VoucherList)
    def get(self, args):
        """Vouchers, newest first: a resident's own; staff see anyone's (``?member=``)."""
        query = select(Voucher).where(Voucher.community_id == g.community.id)
        if args["member"] or not g.actor.is_staff:
            try:
                member = access_member(g.actor, args["member"] or (g.actor.member and g.actor.member.id))
            except NotFound as exc:
                raise not_found() from exc
            query = query.where(Voucher.member_id == member.id)

        def rows(limit, offset):
            return list(db.session.scalars(
                query.order_by(Voucher.created_at.desc(), Voucher.id.desc()).limit(limit).offset(offset)))
        return page(rows, args, lambda v: v)


@community_vouchers.route("/<voucher_id>")
class CommunityVoucher(MethodView):
    @community_vouchers.response(200, VoucherOut)
    def get(self, voucher_id):
        """A voucher (its holder, or staff)."""
        with market_errors():
            return access_voucher(g.actor, voucher_id)


@community_vouchers.route("/<voucher_id>/cancel")
class CancelVoucher(MethodView):
    @idempotent
    @community_vouchers.response(200, VoucherEnvelope)
    def post(self, voucher_id):
        """Hand back an unredeemed voucher for a refund, where the offer allows it."""
        with market_errors():
            voucher = access_voucher(g.actor, voucher_id)
            actions.do_cancel_voucher(g.actor, voucher)
        return {"voucher": voucher}


# --- the counter ----------------------------------------------------------------------------


class CodeIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))


class RedemptionOut(Schema):
    id = fields.UUID(attribute="voucher_id")
    code = fields.String()
    status = fields.String()
    redeemed_at = fields.DateTime(allow_none=True)
    redeemed_by = fields.String(attribute="redeemed_by_name", allow_none=True)
    community = fields.String(attribute="community_slug")
    community_name = fields.String()
    offer = fields.UUID(attribute="offer_id")
    title = fields.String()
    kind = fields.String()
    points = fields.Integer()
    holder = fields.String(attribute="holder_masked")
    valid_until = fields.DateTime()


class RedemptionEnvelope(Schema):
    voucher = fields.Nested(RedemptionOut)


class RedemptionListItem(Schema):
    id = fields.Function(lambda row: str(row[0].id))
    code = fields.Function(lambda row: "…" + row[0].code_tail)
    community = fields.Function(lambda row: row[1].slug)
    offer = fields.Function(lambda row: str(row[0].offer_id))
    title = fields.Function(lambda row: row[0].title)
    points = fields.Function(lambda row: row[0].points)
    redeemed_at = fields.Function(lambda row: row[0].redeemed_at.isoformat())
    redeemed_by = fields.Function(lambda row: row[0].redeemed_by_name)
    settlement_month = fields.Function(lambda row: row[0].settlement_month)


class RedemptionList(Schema):
    items = fields.List(fields.Nested(RedemptionListItem))
    next_cursor = fields.String(allow_none=True)


@redemptions.route("")
class Redemptions(MethodView):
    @idempotent
    @redemptions.arguments(CodeIn)
    @redemptions.response(200, RedemptionEnvelope)
    def post(self, body):
        """Redeem a voucher by its code at this merchant (owner or staff). Any code that names
        no voucher of this merchant is 404 ``unknown_code``; 20 of those a minute per user and
        per address, then 429 with ``Retry-After``. With an ``Idempotency-Key`` a till that
        retries after a lost answer gets the first answer again, not ``already_redeemed``."""
        actor = g.merchant_actor
        with market_errors():
            return {"voucher": at_counter(actor.user, lambda: actions.do_redeem_voucher(actor, body["code"]))}

    @redemptions.arguments(PageArgs, location="query")
    @redemptions.response(200, RedemptionList)
    def get(self, args):
        """Vouchers redeemed at this merchant, newest first."""
        def rows(limit, offset):
            return merchant_redemptions(g.merchant.id, limit=limit, offset=offset)
        return page(rows, args, lambda row: row)


@redemptions.route("/preview")
class RedemptionPreview(MethodView):
    @redemptions.arguments(CodeIn)
    @redemptions.response(200, RedemptionEnvelope)
    def post(self, body):
        """What redeeming this code would do, without doing it (same errors and throttle)."""
        actor = g.merchant_actor
        with market_errors():
            return {"voucher": at_counter(actor.user, lambda: actions.check_at_counter(actor, body["code"]))}
