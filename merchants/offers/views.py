"""Offer pages: the merchant owner's (create, edit, publish) and residents' (browse, claim)."""

import secrets

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from core.extensions import db
from core.identity.balances import balance_of
from core.identity.models import Member, Role
from core.tenancy.access import NotFound
from core.tenancy.models import Community
from core.web.community import ActionTile, community_blueprint
from merchants.errors import MarketError
from merchants.offers import actions, queries
from merchants.offers.forms import OfferForm, merchant_timezone
from merchants.offers.models import OfferStatus
from merchants.partners.views import merchant_blueprint, require_owner

merchant_bp = merchant_blueprint("merchant_offers", __name__, "/offers")
resident_bp = community_blueprint("offers", __name__, "/offers")


def offer_tiles(actor):
    return [ActionTile(_("Merchant offers"), url_for("offers.browse", community=actor.community.slug), order=30)]


# --- the merchant's pages -------------------------------------------------------------------


@merchant_bp.get("/")
def index():
    offers = queries.merchant_offers(g.merchant.id)
    return render_template("merchants/offers/index.html", offers=offers)


def _offer_form(offer=None):
    form = OfferForm()
    ids = actions.partner_community_ids(g.merchant.id)
    current = {c.id for c in queries.offer_communities(offer)} if offer else set()
    communities = db.session.scalars(
        select(Community).where(Community.id.in_(ids | current)).order_by(Community.name)).all()
    form.communities.choices = [SelectChoice(c.slug, c.name) for c in communities]
    return form, {c.slug: c for c in communities}


def _save(form, by_slug, offer=None, draft=False):
    values = form.values()
    communities = [by_slug[s] for s in form.communities.data if s in by_slug]
    if offer is None:
        values["status"] = OfferStatus.DRAFT if draft else OfferStatus.PUBLISHED
        offer = actions.do_create_offer(g.merchant_actor, communities, **values)
    else:
        actions.do_update_offer(g.merchant_actor, offer, communities, **values)
    upload = form.photo.data
    if upload and getattr(upload, "filename", ""):
        actions.do_set_offer_photo(g.merchant_actor, offer, upload.read())
    return offer


@merchant_bp.route("/new", methods=["GET", "POST"])
def new():
    require_owner()
    form, by_slug = _offer_form()
    status, error = 200, None
    if request.method == "GET":
        form.communities.data = list(by_slug)
        form.fill_defaults()
    if form.validate_on_submit():
        try:
            offer = _save(form, by_slug, draft=request.form.get("save") == "draft")
        except MarketError as exc:
            error, status = exc.message, exc.status
        else:
            flash(_("Offer saved: %(title)s.", title=offer.title), "success")
            return redirect(url_for("merchant_offers.index"))
    elif form.is_submitted():
        status = 422
    return render_template("merchants/offers/form.html", form=form, offer=None, error=error), status


def _own(offer_id):
    try:
        return queries.own_offer(g.merchant_actor, offer_id)
    except NotFound:
        abort(404)


@merchant_bp.route("/<offer_id>/edit", methods=["GET", "POST"])
def edit(offer_id):
    require_owner()
    offer = _own(offer_id)
    form, by_slug = _offer_form(offer)
    status, error = 200, None
    if request.method == "GET":
        tz = merchant_timezone()
        for key in ("title", "kind", "points", "quantity", "per_member_limit", "terms",
                    "cancellable", "refund_on_expiry"):
            value = getattr(offer, key)
            getattr(form, key).data = value.value if hasattr(value, "value") else value
        from merchants.money import amount_text

        form.market_price.data = amount_text(offer.market_price_minor, offer.currency) if offer.market_price_minor is not None else ""
        form.offer_price.data = amount_text(offer.offer_price_minor, offer.currency) if offer.offer_price_minor is not None else ""
        form.valid_from.data = offer.valid_from.astimezone(tz).replace(tzinfo=None)
        form.valid_until.data = offer.valid_until.astimezone(tz).replace(tzinfo=None)
        form.communities.data = [c.slug for c in queries.offer_communities(offer)]
    if form.validate_on_submit():
        try:
            _save(form, by_slug, offer)
        except MarketError as exc:
            error, status = exc.message, exc.status
        else:
            flash(_("Offer saved: %(title)s.", title=offer.title), "success")
            return redirect(url_for("merchant_offers.index"))
    elif form.is_submitted():
        status = 422
    return render_template("merchants/offers/form.html", form=form, offer=offer, error=error), status


@merchant_bp.get("/<offer_id>/photo.jpg")
def merchant_photo(offer_id):
    from merchants.partners.images import image_response

    return image_response(_own(offer_id).photo_id)


@merchant_bp.post("/<offer_id>/status")
def set_status(offer_id):
    require_owner()
    offer = _own(offer_id)
    try:
        actions.do_set_offer_status(g.merchant_actor, offer, request.form.get("status", ""))
    except (MarketError, ValueError) as exc:
        flash(getattr(exc, "message", _("This change is not possible.")), "error")
    else:
        flash(_("Done."), "success")
    return redirect(url_for("merchant_offers.index"))


# --- residents' pages ----------------------------------------------------------------------


@resident_bp.get("/")
def browse():
    member = g.actor.member
    balance = balance_of(member) if member else None
    category = (request.args.get("category") or "")[:40] or None
    order = "ending_soon" if request.args.get("order") == "ending_soon" else "newest"
    affordable = request.args.get("affordable") == "1" and balance is not None
    rows = queries.open_offers(g.community.id, category=category, order=order,
                               max_points=balance if affordable else None, limit=100)
    return render_template("merchants/offers/browse.html", rows=rows, balance=balance,
                           categories=queries.categories(g.community.id), category=category,
                           order=order, affordable=affordable, ending_soon=queries.ending_soon)


def _member_offer(offer_id):
    try:
        return queries.access_offer(g.actor, offer_id)
    except NotFound:
        abort(404)


def _render_offer(offer, status=200, error=None):
    member = g.actor.member
    return render_template(
        "merchants/offers/detail.html", offer=offer, error=error,
        balance=balance_of(member) if member else None, staff=g.actor.can(Role.GRID_WORKER),
        request_key=secrets.token_urlsafe(16), ending_soon=queries.ending_soon(offer),
    ), status


@resident_bp.get("/<offer_id>")
def detail(offer_id):
    return _render_offer(_member_offer(offer_id))


@resident_bp.get("/<offer_id>/photo.jpg")
def photo(offer_id):
    """The offer's photo, or else the shop's, for members the offer is open to."""
    from merchants.partners.images import image_response

    offer = _member_offer(offer_id)
    return image_response(offer.photo_id or offer.merchant.photo_id)


@resident_bp.post("/<offer_id>/claim")
def claim(offer_id):
    from merchants.vouchers.actions import do_claim_voucher

    offer = _member_offer(offer_id)
    member = g.actor.member
    number = (request.form.get("member_number") or "").strip()
    if g.actor.can(Role.GRID_WORKER) and number:
        member = db.session.scalar(select(Member).where(
            Member.number == int(number), Member.active.is_(True))) if number.isdigit() and len(number) < 10 else None
        if member is None:
            return _render_offer(offer, 422, _("No resident has this member number."))
    if member is None:
        return _render_offer(offer, 422, _("Enter the resident's member number."))
    key = (request.form.get("request_key") or "")[:64] or None
    try:
        claimed = do_claim_voucher(g.actor, offer, member, idempotency_key=key and f"web:{key}")
    except MarketError as exc:
        return _render_offer(offer, exc.status, exc.message)
    if not claimed.replayed:
        flash(_("Your voucher is ready. Show this page at the shop."), "success")
    return redirect(url_for("vouchers.detail", voucher_id=claimed.voucher.id))
