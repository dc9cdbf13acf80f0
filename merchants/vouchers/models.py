"""Vouchers: what a resident holds after claiming an offer, until the merchant redeems it.

- ``Voucher`` is a tenant row the merchant may also read (MerchantVisible): the counter
  works in the merchant's scope and row-level security admits that merchant's vouchers only.
  It keeps a snapshot of the offer (title, points, terms...), so editing an offer never
  changes a voucher already issued, and on redemption it records what settlement needs: the
  point value and currency in force, and the month in the community's time zone.
- ``VoucherCode`` is the global lookup from a code to its voucher (the counter does not know
  the community): the SHA-256 of the code under a unique index, and whose voucher it is.
- ``VoucherSecret`` holds the code itself for the resident's voucher page. It is a tenant row
  the merchant can NOT read: a merchant able to list codes could redeem vouchers nobody
  brought to the counter and be paid for them.
"""

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, CommunityScoped, GlobalModel, MerchantVisible
from core.identity.models import enum_column
from core.types import UTCDateTime, utcnow


class VoucherStatus(enum.StrEnum):
    ISSUED = "issued"
    REDEEMED = "redeemed"
    CANCELLED = "cancelled"  # handed back by the resident, points refunded
    EXPIRED = "expired"


class Voucher(CommunityScoped, MerchantVisible, Base):
    __tablename__ = "vouchers"
    __table_args__ = (
        ForeignKeyConstraint(["community_id", "member_id"], ["members.community_id", "members.id"]),
        ForeignKeyConstraint(
            ["community_id", "transaction_id"],
            ["ledger_transactions.community_id", "ledger_transactions.id"],
        ),
        Index("ix_vouchers_member_offer", "community_id", "member_id", "offer_id"),
        Index("ix_vouchers_due", "status", "valid_until"),
        Index("ix_vouchers_merchant_redeemed", "merchant_id", "redeemed_at"),
        Index("ix_vouchers_month", "community_id", "merchant_id", "settlement_month"),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("merchants.id"))
    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offers.id"))
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    transaction_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    status: Mapped[VoucherStatus] = enum_column(VoucherStatus, default=VoucherStatus.ISSUED)
    code_tail: Mapped[str] = mapped_column(String(8))  # "R4PW-D": enough to tell vouchers apart

    # The offer as it was when claimed
    title: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    terms: Mapped[str | None] = mapped_column(Text)
    points: Mapped[int] = mapped_column(Integer)
    offer_price_minor: Mapped[int | None] = mapped_column(BigInteger)
    market_price_minor: Mapped[int | None] = mapped_column(BigInteger)
    price_currency: Mapped[str | None] = mapped_column(String(3))
    refund_on_expiry: Mapped[bool] = mapped_column(Boolean, default=True)
    cancellable: Mapped[bool] = mapped_column(Boolean, default=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    # The resident's name as the counter may show it (王*姨): merchants never read members.
    holder_masked: Mapped[str] = mapped_column(String(80))
    claimed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the user (resident or staff)
    # Calendar month of the claim in the community's time zone (for a monthly cap)
    claim_month: Mapped[str] = mapped_column(String(7))

    # Redemption, and what settlement (issue 7) reads
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redeemed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    redeemed_by_name: Mapped[str | None] = mapped_column(String(80))
    point_value_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    # YYYY-MM in community time, or the next open month when settlement had closed that one
    # while the redemption was in flight (merchants.settlement.periods)
    settlement_month: Mapped[str | None] = mapped_column(String(7))

    # Cancellation or expiry
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_transaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    @property
    def amount_minor(self) -> int | None:
        """What the community owes for this voucher (points x point value), once redeemed."""
        if self.point_value_minor is None:
            return None
        return self.points * self.point_value_minor

    def phase(self, now: datetime | None = None) -> str:
        """The status as a person should read it now (expiry may not have been swept yet)."""
        now = now or utcnow()
        if self.status == VoucherStatus.ISSUED:
            if now >= self.valid_until:
                return "expired"
            if now < self.valid_from:
                return "upcoming"
        return self.status.value


class VoucherCode(GlobalModel, Base):
    __tablename__ = "voucher_codes"

    digest: Mapped[str] = mapped_column(String(64), unique=True)
    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("merchants.id"))
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("communities.id"))
    voucher_id: Mapped[uuid.UUID] = mapped_column(Uuid)


class VoucherSecret(CommunityScoped, Base):
    """The code of voucher ``id`` (same id), readable by its community only."""

    __tablename__ = "voucher_secrets"
    __table_args__ = (
        ForeignKeyConstraint(["community_id", "id"], ["vouchers.community_id", "vouchers.id"]),
    )

    code: Mapped[str] = mapped_column(String(20))
