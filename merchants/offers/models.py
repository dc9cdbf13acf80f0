"""Offers: what a merchant sells for points, and which communities may see it.

``Offer`` is the merchant's row (global: one offer can be open to several communities).
``OfferCommunity`` links an offer to a community. It is a tenant row (CommunityScoped) that
the merchant may also read (MerchantVisible), rather than a global table with checks, because
what a resident may see is then filtered by the same three layers as everything else in
their community: an offer reaches a resident only through a link row of the resident's
community, so a query that forgets a filter still cannot show another community's offers.
"""

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, CommunityScoped, GlobalModel, MerchantVisible
from core.identity.models import enum_column
from core.types import UTCDateTime, utcnow
from merchants.partners.models import Merchant


class OfferKind(enum.StrEnum):
    VOUCHER = "voucher"  # 20% off a meal
    ITEM = "item"        # a medicine kit below market price


class OfferStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    PAUSED = "paused"
    ENDED = "ended"


class Offer(GlobalModel, Base):
    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("claimed >= 0 AND claimed <= quantity", name="claimed_within_quantity"),
        CheckConstraint("valid_until > valid_from", name="valid_window"),
        Index("ix_offers_merchant_created", "merchant_id", "created_at"),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("merchants.id"))
    title: Mapped[str] = mapped_column(String(120))
    kind: Mapped[OfferKind] = enum_column(OfferKind)
    terms: Mapped[str | None] = mapped_column(Text)
    points: Mapped[int] = mapped_column(Integer)
    # Money in the merchant's prices (minor units); the saving shown is the difference.
    market_price_minor: Mapped[int | None] = mapped_column(BigInteger)
    offer_price_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    quantity: Mapped[int] = mapped_column(Integer)
    # Vouchers handed out (less cancelled ones); raised only by a guarded UPDATE.
    claimed: Mapped[int] = mapped_column(Integer, default=0)
    per_member_limit: Mapped[int | None] = mapped_column(Integer)
    # May a resident hand back an unredeemed voucher for their points?
    cancellable: Mapped[bool] = mapped_column(Boolean, default=True)
    # Are the points of a voucher that expired unredeemed given back?
    refund_on_expiry: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[OfferStatus] = enum_column(OfferStatus, default=OfferStatus.PUBLISHED)
    photo_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # a MerchantImage
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    merchant: Mapped[Merchant] = relationship()

    @property
    def remaining(self) -> int:
        return max(0, self.quantity - self.claimed)

    @property
    def saving_minor(self) -> int | None:
        if self.market_price_minor is None or self.offer_price_minor is None:
            return None
        return max(0, self.market_price_minor - self.offer_price_minor)

    def phase(self, now: datetime | None = None) -> str:
        """``draft``, ``paused``, ``ended``, ``sold_out``, ``upcoming`` or ``open``."""
        now = now or utcnow()
        if self.status in (OfferStatus.DRAFT, OfferStatus.PAUSED, OfferStatus.ENDED):
            return self.status.value
        if now >= self.valid_until:
            return "ended"
        if self.remaining <= 0:
            return "sold_out"
        if now < self.valid_from:
            return "upcoming"
        return "open"


class OfferCommunity(CommunityScoped, MerchantVisible, Base):
    """``offer`` is open to this community (while ``active``; withdrawing keeps the row)."""

    __tablename__ = "offer_communities"
    __table_args__ = (
        UniqueConstraint("community_id", "offer_id"),
        Index("ix_offer_communities_offer", "offer_id"),
    )

    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offers.id"))
    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("merchants.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    offer: Mapped[Offer] = relationship()
