"""Reading offers: what a community's residents may see, and a merchant's own offers.

A resident reaches an offer only through an active ``OfferCommunity`` row of their own
community (that table is tenant-scoped), from a merchant that is an active partner there.
"""

from datetime import timedelta

from sqlalchemy import select

from core.extensions import db
from core.ids import parse_id
from core.tenancy.access import NotFound
from core.tenancy.models import Community
from core.types import utcnow
from merchants.offers.models import Offer, OfferCommunity, OfferStatus
from merchants.partners.models import Merchant, MerchantStatus, Partnership, PartnershipStatus

ENDING_SOON = timedelta(days=7)


def _visible_in(community_id):
    """Offers linked to the community, from active merchants that are active partners."""
    return (
        select(Offer, Merchant)
        .join(OfferCommunity, OfferCommunity.offer_id == Offer.id)
        .join(Merchant, Merchant.id == Offer.merchant_id)
        .join(Partnership, (Partnership.community_id == OfferCommunity.community_id)
              & (Partnership.merchant_id == Offer.merchant_id))
        .where(
            OfferCommunity.community_id == community_id,
            OfferCommunity.active.is_(True),
            Partnership.status == PartnershipStatus.ACTIVE,
            Merchant.status == MerchantStatus.ACTIVE,
        )
    )


def open_offers(community_id, *, now=None, category=None, max_points=None,
                order="newest", limit=None, offset=0) -> list[tuple[Offer, Merchant]]:
    """Offers a resident of the community can claim now."""
    now = now or utcnow()
    query = _visible_in(community_id).where(
        Offer.status == OfferStatus.PUBLISHED,
        Offer.valid_from <= now,
        Offer.valid_until > now,
        Offer.claimed < Offer.quantity,
    )
    if category:
        query = query.where(Merchant.category == category)
    if max_points is not None:
        query = query.where(Offer.points <= max_points)
    if order == "ending_soon":
        query = query.order_by(Offer.valid_until, Offer.id)
    else:
        query = query.order_by(Offer.created_at.desc(), Offer.id.desc())
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [tuple(row) for row in db.session.execute(query)]


def categories(community_id) -> list[str]:
    query = (
        _visible_in(community_id)
        .with_only_columns(Merchant.category)
        .where(Offer.status == OfferStatus.PUBLISHED, Merchant.category.is_not(None))
        .distinct()
        .order_by(Merchant.category)
    )
    return [c for c in db.session.scalars(query) if c]


def access_offer(actor, offer_id) -> Offer:
    """An offer a member of ``actor.community`` may look at (any phase but draft), else
    NotFound: an offer not open to this community answers as one that does not exist."""
    offer_id = parse_id(offer_id)
    if offer_id is None:
        raise NotFound(offer_id)
    row = db.session.execute(
        _visible_in(actor.community.id).where(Offer.id == offer_id, Offer.status != OfferStatus.DRAFT)
    ).first()
    if row is None:
        raise NotFound(offer_id)
    return row[0]


def own_offer(merchant_actor, offer_id) -> Offer:
    """One of the merchant's own offers, else NotFound (another merchant's: the same)."""
    offer_id = parse_id(offer_id)
    offer = offer_id and db.session.scalar(
        select(Offer).where(Offer.id == offer_id, Offer.merchant_id == merchant_actor.merchant.id))
    if offer is None:
        raise NotFound(offer_id)
    return offer


def merchant_offers(merchant_id) -> list[Offer]:
    return list(db.session.scalars(
        select(Offer).where(Offer.merchant_id == merchant_id).order_by(Offer.created_at.desc())))


def offer_communities(offer: Offer) -> list[Community]:
    """The communities the offer is open to (read in the merchant's scope)."""
    return list(db.session.scalars(
        select(Community)
        .join(OfferCommunity, OfferCommunity.community_id == Community.id)
        .where(OfferCommunity.offer_id == offer.id, OfferCommunity.active.is_(True))
        .order_by(Community.name)))


def ending_soon(offer: Offer, now=None) -> bool:
    return offer.valid_until - (now or utcnow()) <= ENDING_SOON
