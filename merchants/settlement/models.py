"""Monthly statements between a merchant and a community (DOMAIN.md, "Money: monthly settlement").

- ``ClosedMonth`` (global): a community's month that has been closed. Closing writes it in the
  same transaction as the month's statements; a redemption reads it (under a lock the close
  also takes, ``merchants.settlement.periods``) and, if its month is closed, lands in the next
  open month instead. Global rather than a tenant table because the counter runs in the
  merchant's scope, which row-level security does not admit to a community's rows.
- ``Statement``: one per merchant, community, month (and currency: a community's currency is
  one, so in practice one per merchant, community and month; should a community ever change
  its currency mid-month the vouchers of each currency are kept apart instead of being summed
  into nonsense). Totals are copied from its lines when the month is closed and never change;
  credit notes are separate rows, and ``credited_minor`` is their running sum.
- ``StatementLine``: one per redeemed voucher; its ``id`` IS the voucher's id, so the primary
  key itself forbids counting a voucher twice, whatever happens to a close. It copies what the
  statement shows (offer title, code's end, points, value), so a line reads without a join.
- ``CreditNote``: the community's correction (a disputed line, a goodwill reduction).
- ``StatementPayment``: how it was paid (a bank transfer's reference, or a Stripe transfer).

All tenant tables here are ``MerchantVisible``: the merchant reads its own statements, the
community its own, and row-level security admits nobody else.
"""

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, CommunityScoped, GlobalModel, MerchantVisible
from core.identity.models import enum_column
from core.types import UTCDateTime


class StatementStatus(enum.StrEnum):
    ISSUED = "issued"        # drawn at month end; the merchant checks it
    DISPUTED = "disputed"    # the merchant questions lines (with reasons)
    ADJUSTED = "adjusted"    # the community issued a credit note; the merchant checks again
    CONFIRMED = "confirmed"  # the merchant agrees
    APPROVED = "approved"    # the community agrees to pay
    PAID = "paid"            # a payment is recorded
    CLOSED = "closed"        # filed: nothing more happens to it


class PaymentMethod(enum.StrEnum):
    OFFLINE = "offline"  # a bank transfer the community made and records
    STRIPE = "stripe"    # a Stripe transfer to the merchant's connected account


class ClosedMonth(GlobalModel, Base):
    __tablename__ = "settlement_closed_months"
    __table_args__ = (UniqueConstraint("community_id", "month"),)

    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("communities.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM in the community's time zone
    statements: Mapped[int] = mapped_column(Integer, default=0)
    vouchers: Mapped[int] = mapped_column(Integer, default=0)
    closed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # None: the scheduled task


class Statement(CommunityScoped, MerchantVisible, Base):
    __tablename__ = "settlement_statements"
    __table_args__ = (
        UniqueConstraint("community_id", "merchant_id", "month", "currency"),
        Index("ix_settlement_statements_merchant", "merchant_id", "month"),
        CheckConstraint("credited_minor >= 0 AND credited_minor <= amount_minor",
                        name="credit_within_amount"),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("merchants.id"))
    month: Mapped[str] = mapped_column(String(7))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[StatementStatus] = enum_column(StatementStatus, default=StatementStatus.ISSUED)
    vouchers: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # sum of the lines, never changes
    credited_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # sum of credit notes
    # the merchant's last dispute of the whole statement (lines carry their own reasons)
    disputed_reason: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def due_minor(self) -> int:
        """What the community pays: the lines' amount less its credit notes."""
        return self.amount_minor - self.credited_minor


class StatementLine(CommunityScoped, MerchantVisible, Base):
    """A redeemed voucher on a statement (``id`` = the voucher's id)."""

    __tablename__ = "settlement_lines"
    __table_args__ = (
        ForeignKeyConstraint(["community_id", "statement_id"],
                             ["settlement_statements.community_id", "settlement_statements.id"]),
        # No foreign key to vouchers, though ``id`` is a voucher's: the close copies lines out
        # of vouchers in one INSERT ... SELECT, and a key would check (and row-lock) each of a
        # million vouchers as it went. The primary key is what forbids counting one twice.
        Index("ix_settlement_lines_statement", "community_id", "statement_id", "redeemed_at"),
    )

    statement_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # the statement's merchant, copied for row-level security (no FK of its own: the
    # statement's key already ties it, and a million lines need not check it again)
    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    redeemed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(String(120))
    code_tail: Mapped[str] = mapped_column(String(8))
    points: Mapped[int] = mapped_column(Integer)
    point_value_minor: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    disputed_reason: Mapped[str | None] = mapped_column(String(300))
    disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CreditNote(CommunityScoped, MerchantVisible, Base):
    __tablename__ = "settlement_credit_notes"
    __table_args__ = (
        ForeignKeyConstraint(["community_id", "statement_id"],
                             ["settlement_statements.community_id", "settlement_statements.id"]),
        ForeignKeyConstraint(["community_id", "line_id"],
                             ["settlement_lines.community_id", "settlement_lines.id"]),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    statement_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("merchants.id"))
    line_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the line it corrects, if one
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(300))
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class StatementPayment(CommunityScoped, MerchantVisible, Base):
    __tablename__ = "settlement_payments"
    __table_args__ = (
        ForeignKeyConstraint(["community_id", "statement_id"],
                             ["settlement_statements.community_id", "settlement_statements.id"]),
        # one payment settles a statement: a second is refused by the database too
        UniqueConstraint("community_id", "statement_id"),
    )

    statement_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("merchants.id"))
    method: Mapped[PaymentMethod] = enum_column(PaymentMethod)
    reference: Mapped[str] = mapped_column(String(120))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
