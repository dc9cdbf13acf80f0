"""Offers over the API: the merchant's own (create, change, publish) and what a community's
members may claim."""

from flask import g, request
from flask.views import MethodView
from flask_babel import gettext as _
from sqlalchemy import select

from core.api.framework import ApiError, community_api_blueprint
from core.extensions import db
from core.identity.balances import balance_of
from core.tenancy.models import Community
from merchants.api_support import (
    PageArgs,
    market_errors,
    merchant_api_blueprint,
    page,
    require_owner,
)
from merchants.offers import actions, queries
from merchants.offers.models import Offer
from merchants.offers.schemas import (
    BrowseArgs,
    MerchantOfferList,
    MerchantOfferOut,
    OfferIn,
    OfferList,
    OfferOut,
    OfferPatch,
    OfferStatusIn,
)
from merchants.partners.schemas import money_from

merchant_offers = merchant_api_blueprint("api_merchant_offers", __name__, "/offers",
                                         description="A merchant's offers")
community_offers = community_api_blueprint("api_community_offers", __name__, "/offers",
                                           description="Offers open to a community")


def _communities(slugs) -> list[Community]:
    slugs = list(dict.fromkeys(slugs))
    found = {c.slug: c for c in db.session.scalars(select(Community).where(Community.slug.in_(slugs)))}
    unknown = [s for s in slugs if s not in found]
    if unknown:
        message = _("Not a partner community: %(slugs)s. Offers can only go to partner communities.",
                    slugs=", ".join(unknown))
        raise ApiError(422, "not_partner", message, errors={"communities": [message]})
    return [found[s] for s in slugs]


def _values(body: dict) -> dict:
    values = {k: body[k] for k in ("title", "kind", "points", "valid_from", "valid_until", "quantity",
                                   "per_member_limit", "terms", "cancellable", "refund_on_expiry",
                                   "status") if k in body}
    prices = [body.get("market_price"), body.get("offer_price")]
    currencies = {p["currency"] for p in prices if p}
    if len(currencies) > 1:
        message = _("Give both prices in the same currency.")
        raise ApiError(422, "invalid", message, errors={"offer_price": {"currency": [message]}})
    if currencies:
        values["currency"] = currencies.pop()
    for field in ("market_price", "offer_price"):
        if field in body:
            values[f"{field}_minor"] = money_from(body, field, required=False)
    return values


@merchant_offers.route("")
class MerchantOffers(MethodView):
    @merchant_offers.arguments(PageArgs, location="query")
    @merchant_offers.response(200, MerchantOfferList)
    def get(self, args):
        """The merchant's offers, newest first (owner or staff)."""
        def rows(limit, offset):
            return list(db.session.scalars(
                select(Offer).where(Offer.merchant_id == g.merchant.id)
                .order_by(Offer.created_at.desc(), Offer.id.desc()).limit(limit).offset(offset)))
        return page(rows, args, lambda o: o)

    @merchant_offers.arguments(OfferIn)
    @merchant_offers.response(201, MerchantOfferOut)
    def post(self, body):
        """Create an offer for partner communities (owner); published unless ``"status": "draft"``."""
        require_owner()
        communities = _communities(body["communities"])
        with market_errors():
            return actions.do_create_offer(g.merchant_actor, communities, **_values(body))


def _own(offer_id) -> Offer:
    with market_errors():
        return queries.own_offer(g.merchant_actor, offer_id)


@merchant_offers.route("/<offer_id>")
class MerchantOffer(MethodView):
    @merchant_offers.response(200, MerchantOfferOut)
    def get(self, offer_id):
        """One of the merchant's offers."""
        return _own(offer_id)

    @merchant_offers.arguments(OfferPatch(partial=True))
    @merchant_offers.response(200, MerchantOfferOut)
    def patch(self, body, offer_id):
        """Change an offer (owner). Vouchers already issued keep what they were claimed as."""
        require_owner()
        offer = _own(offer_id)
        # Only what the client sent changes (the schema's defaults are for creation).
        sent = set((request.get_json(silent=True) or {}).keys())
        body = {k: v for k, v in body.items() if k in sent}
        body.pop("status", None)
        communities = _communities(body.pop("communities")) if "communities" in body else None
        values = _values(body)
        if "valid_from" in values or "valid_until" in values:
            start = values.get("valid_from", offer.valid_from)
            end = values.get("valid_until", offer.valid_until)
            if end <= start:
                message = _("The end must be after the start.")
                raise ApiError(422, "invalid", message, errors={"valid_until": [message]})
        with market_errors():
            return actions.do_update_offer(g.merchant_actor, offer, communities, **values)


@merchant_offers.route("/<offer_id>/status")
class MerchantOfferStatus(MethodView):
    @merchant_offers.arguments(OfferStatusIn)
    @merchant_offers.response(200, MerchantOfferOut)
    def post(self, body, offer_id):
        """Publish, pause or end an offer (owner)."""
        require_owner()
        offer = _own(offer_id)
        with market_errors():
            return actions.do_set_offer_status(g.merchant_actor, offer, body["status"])


@community_offers.route("")
class CommunityOffers(MethodView):
    @community_offers.arguments(BrowseArgs, location="query")
    @community_offers.response(200, OfferList)
    def get(self, args):
        """Offers open to this community now (members): by ``category``, ``order=ending_soon``,
        ``affordable=true`` (within the caller's points)."""
        max_points = None
        if args["affordable"]:
            max_points = balance_of(g.actor.member) if g.actor.member else 0

        def rows(limit, offset):
            return [offer for offer, _merchant in queries.open_offers(
                g.community.id, category=args["category"], max_points=max_points,
                order=args["order"], limit=limit, offset=offset)]
        return page(rows, args, lambda o: o)


@community_offers.route("/<offer_id>")
class CommunityOffer(MethodView):
    @community_offers.response(200, OfferOut)
    def get(self, offer_id):
        """An offer open to this community (404 if it is not)."""
        with market_errors():
            return queries.access_offer(g.actor, offer_id)
