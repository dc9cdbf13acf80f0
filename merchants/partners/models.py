"""Merchants are global: one restaurant serves residents of several communities.

A ``Partnership`` is a row of the community (tenant) that the merchant may also read
(``MerchantVisible``): both sides work on it, and row-level security admits either.
"""

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, CommunityScoped, GlobalModel, MerchantVisible
from core.identity.models import User, enum_column
from core.types import UTCDateTime


class MerchantRole(enum.StrEnum):
    OWNER = "owner"
    STAFF = "staff"  # counter operators


class MerchantStatus(enum.StrEnum):
    PENDING = "pending"  # registered itself; waits for a platform or district admin
    ACTIVE = "active"


class Merchant(GlobalModel, Base):
    __tablename__ = "merchants"

    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[MerchantStatus] = enum_column(MerchantStatus, default=MerchantStatus.ACTIVE)
    category: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(200))
    opening_hours: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(30))
    description: Mapped[str | None] = mapped_column(Text)
    # A MerchantImage of this merchant; no FK, which would make the two tables a cycle.
    photo_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    @property
    def is_active(self) -> bool:
        return self.status == MerchantStatus.ACTIVE


class MerchantUser(GlobalModel, Base):
    __tablename__ = "merchant_users"
    __table_args__ = (UniqueConstraint("merchant_id", "user_id"),)

    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("merchants.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[MerchantRole] = enum_column(MerchantRole)

    merchant: Mapped[Merchant] = relationship()
    user: Mapped[User] = relationship()


class MerchantImage(GlobalModel, Base):
    """A photo (shop front, offer), re-encoded as JPEG on upload; served by the app."""

    __tablename__ = "merchant_images"

    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("merchants.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class PartnershipStatus(enum.StrEnum):
    APPLIED = "applied"      # the merchant asked; the community sets terms to approve
    INVITED = "invited"      # the community offered terms; the merchant accepts
    ACTIVE = "active"
    SUSPENDED = "suspended"  # by either side (``suspended_by``)
    DECLINED = "declined"


class Side(enum.StrEnum):
    COMMUNITY = "community"
    MERCHANT = "merchant"


class Partnership(CommunityScoped, MerchantVisible, Base):
    """What a community pays a merchant per point redeemed, and whether they work together.

    ``point_value_minor`` is in the community's currency (minor units: 10 = 0.10 CNY);
    ``monthly_cap_minor`` optionally bounds the money value of vouchers claimed per month.
    Redemptions copy the value in force, so changing terms never rewrites the past.
    """

    __tablename__ = "partnerships"
    __table_args__ = (
        UniqueConstraint("community_id", "merchant_id"),
        CheckConstraint("point_value_minor IS NULL OR point_value_minor >= 0", name="value_not_negative"),
        CheckConstraint("monthly_cap_minor IS NULL OR monthly_cap_minor > 0", name="cap_positive"),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("merchants.id"), index=True)
    status: Mapped[PartnershipStatus] = enum_column(PartnershipStatus)
    point_value_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    monthly_cap_minor: Mapped[int | None] = mapped_column(BigInteger)
    suspended_by: Mapped[Side | None] = enum_column(Side, nullable=True)
    message: Mapped[str | None] = mapped_column(String(300))  # the merchant's application note
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    merchant: Mapped[Merchant] = relationship()

    @property
    def is_active(self) -> bool:
        return self.status == PartnershipStatus.ACTIVE
