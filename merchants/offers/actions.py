"""Creating and changing offers (the merchant owner's actions).

Target communities must be active partners of the merchant. Editing an offer changes what
is claimed from now on; vouchers already issued keep their own snapshot.
"""

from flask_babel import gettext as _
from sqlalchemy import select

from core.audit.actions import record
from core.extensions import db
from core.transactions import atomic
from core.types import utcnow
from merchants.errors import MarketError
from merchants.offers.models import Offer, OfferCommunity, OfferKind, OfferStatus
from merchants.partners.actions import merchant_scope_in
from merchants.partners.models import Partnership, PartnershipStatus

EDITABLE = ("title", "kind", "terms", "points", "market_price_minor", "offer_price_minor",
            "currency", "valid_from", "valid_until", "quantity", "per_member_limit",
            "cancellable", "refund_on_expiry")


def _check_owner(merchant_actor) -> None:
    if not merchant_actor.is_owner:
        raise MarketError("forbidden", _("Only the owner can do this."), status=403)
    if not merchant_actor.merchant.is_active:
        raise MarketError("merchant_not_active",
                          _("This merchant is waiting for approval by the platform."))


def partner_community_ids(merchant_id) -> set:
    return set(db.session.scalars(select(Partnership.community_id).where(
        Partnership.merchant_id == merchant_id, Partnership.status == PartnershipStatus.ACTIVE)))


def _check_communities(merchant_id, communities) -> list:
    if not communities:
        raise MarketError("invalid", _("Choose at least one partner community."), status=422,
                          field="communities")
    partners = partner_community_ids(merchant_id)
    strangers = [c.slug for c in communities if c.id not in partners]
    if strangers:
        raise MarketError(
            "not_partner",
            _("Not a partner community: %(slugs)s. Offers can only go to partner communities.",
              slugs=", ".join(strangers)),
            status=422, field="communities",
        )
    return communities


def _check_values(offer: Offer) -> None:
    if offer.valid_until <= offer.valid_from:
        raise MarketError("invalid", _("The end must be after the start."), status=422,
                          field="valid_until")
    if offer.quantity < (offer.claimed or 0):
        raise MarketError("invalid", _("%(n)d have already been claimed: the quantity cannot be lower.",
                                       n=offer.claimed), status=422, field="quantity")
    if (offer.market_price_minor is not None and offer.offer_price_minor is not None
            and offer.offer_price_minor > offer.market_price_minor):
        raise MarketError("invalid", _("The offer price should not be above the market price."),
                          status=422, field="offer_price")


def _link(offer: Offer, communities) -> None:
    """Open ``offer`` to exactly ``communities`` (links to others are withdrawn, kept)."""
    wanted = {c.id for c in communities}
    existing = {row.community_id: row for row in db.session.scalars(
        select(OfferCommunity).where(OfferCommunity.offer_id == offer.id))}
    for community_id in wanted | set(existing):
        with merchant_scope_in(community_id, offer.merchant_id):
            row = existing.get(community_id)
            if row is None:
                row = OfferCommunity(community_id=community_id, offer_id=offer.id,
                                     merchant_id=offer.merchant_id)
                db.session.add(row)
            row.active = community_id in wanted
            db.session.flush()


def do_create_offer(merchant_actor, communities, **values) -> Offer:
    _check_owner(merchant_actor)
    merchant = merchant_actor.merchant
    status = OfferStatus(values.pop("status", OfferStatus.PUBLISHED))
    if status not in (OfferStatus.DRAFT, OfferStatus.PUBLISHED):
        raise MarketError("invalid", _("A new offer is a draft or published."), status=422,
                          field="status")
    with atomic():
        _check_communities(merchant.id, communities)
        offer = Offer(merchant_id=merchant.id, status=status, claimed=0,
                      **{k: v for k, v in values.items() if k in EDITABLE})
        offer.kind = OfferKind(offer.kind)
        offer.currency = offer.currency or "CNY"
        offer.updated_at = utcnow()
        _check_values(offer)
        db.session.add(offer)
        db.session.flush()
        _link(offer, communities)
        record("offer.created", merchant_actor.user, merchant_id=merchant.id, offer=offer.id,
               status=status, communities=[c.slug for c in communities])
    return offer


def do_update_offer(merchant_actor, offer: Offer, communities=None, **values) -> Offer:
    _check_owner(merchant_actor)
    with atomic():
        changed = sorted(k for k, v in values.items() if k in EDITABLE and getattr(offer, k) != v)
        for key in changed:
            setattr(offer, key, values[key])
        offer.kind = OfferKind(offer.kind)
        _check_values(offer)
        if communities is not None:
            _check_communities(offer.merchant_id, communities)
            _link(offer, communities)
        offer.updated_at = utcnow()
        record("offer.updated", merchant_actor.user, merchant_id=offer.merchant_id, offer=offer.id,
               fields=changed)
    return offer


# Which status changes a merchant may make
TRANSITIONS = {
    OfferStatus.DRAFT: {OfferStatus.PUBLISHED, OfferStatus.ENDED},
    OfferStatus.PUBLISHED: {OfferStatus.PAUSED, OfferStatus.ENDED},
    OfferStatus.PAUSED: {OfferStatus.PUBLISHED, OfferStatus.ENDED},
    OfferStatus.ENDED: set(),
}


def do_set_offer_status(merchant_actor, offer: Offer, status) -> Offer:
    _check_owner(merchant_actor)
    status = OfferStatus(status)
    with atomic():
        if status == offer.status:
            return offer
        if status not in TRANSITIONS[offer.status]:
            raise MarketError("invalid_transition",
                              _("An offer that is %(now)s cannot become %(then)s.",
                                now=offer.status.value, then=status.value))
        if status == OfferStatus.PUBLISHED:
            active_links = db.session.scalar(select(db.func.count()).select_from(OfferCommunity).where(
                OfferCommunity.offer_id == offer.id, OfferCommunity.active.is_(True)))
            if not active_links:
                raise MarketError("invalid", _("Choose at least one partner community."),
                                  status=422, field="communities")
        before = offer.status
        offer.status = status
        offer.updated_at = utcnow()
        record("offer.status_changed", merchant_actor.user, merchant_id=offer.merchant_id,
               offer=offer.id, before=before, after=status)
    return offer


def do_set_offer_photo(merchant_actor, offer: Offer, upload: bytes) -> Offer:
    from merchants.partners.images import store_image

    _check_owner(merchant_actor)
    with atomic():
        image = store_image(offer.merchant_id, upload)
        offer.photo_id = image.id
        record("offer.photo_set", merchant_actor.user, merchant_id=offer.merchant_id,
               offer=offer.id, image=image.id)
    return offer
