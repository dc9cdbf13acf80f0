"""The points ledger: double-entry, append-only, per community.

- ``LedgerAccount``: the community's issuance account, each member's wallet, the shop, one
  clearing account per partner merchant, expired points. Only wallets keep a cached balance
  (changed in the same transaction as their postings, under a row lock, never below zero by
  a CHECK); the other accounts' balances are sums of postings, so no award or spend has to
  lock one hot issuance row.
- ``LedgerTransaction``: a set of postings summing to zero, with its kind, a reason a
  resident can read, the actor, the member concerned, the cause, and an idempotency key.
- ``LedgerPosting``: one leg; wallet legs store the balance after them. Nothing is updated or
  deleted (database triggers refuse it); mistakes are fixed with a reversing transaction.
"""

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, CommunityScoped
from core.identity.models import enum_column
from core.types import UTCDateTime


class AccountKind(enum.StrEnum):
    ISSUANCE = "issuance"
    WALLET = "wallet"
    SHOP = "shop"
    MERCHANT = "merchant"
    EXPIRED = "expired"


class LedgerAccount(CommunityScoped, Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("community_id", "key"),
        ForeignKeyConstraint(["community_id", "member_id"], ["members.community_id", "members.id"]),
        CheckConstraint("kind <> 'wallet' OR balance >= 0", name="wallet_not_negative"),
        # The few non-wallet accounts of a community (issuance, shop, merchants, expired),
        # found without reading its wallets: figures start from them (core.figures.rollup).
        Index("ix_ledger_accounts_kind", "community_id", "kind"),
    )

    kind: Mapped[AccountKind] = enum_column(AccountKind)
    # "issuance", "shop", "expired", "wallet:<member id>", "merchant:<merchant id>"
    key: Mapped[str] = mapped_column(String(80))
    member_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    merchant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Cached for wallets only (see module doc); always 0 on the other kinds.
    balance: Mapped[int] = mapped_column(BigInteger, default=0)

    @property
    def keeps_balance(self) -> bool:
        return self.kind == AccountKind.WALLET


class LedgerTransaction(CommunityScoped, Base):
    __tablename__ = "ledger_transactions"
    __table_args__ = (
        UniqueConstraint("community_id", "idempotency_key"),
        # A transaction is reversed at most once, whatever races the code loses.
        UniqueConstraint("community_id", "reverses_id"),
        ForeignKeyConstraint(["community_id", "member_id"], ["members.community_id", "members.id"]),
        ForeignKeyConstraint(
            ["community_id", "reverses_id"],
            ["ledger_transactions.community_id", "ledger_transactions.id"],
        ),
        Index("ix_ledger_transactions_member", "community_id", "member_id", "created_at"),
        Index("ix_ledger_transactions_cause", "community_id", "cause_type", "cause_id"),
    )

    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(200))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    member_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    cause_type: Mapped[str | None] = mapped_column(String(40))
    cause_id: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    # A digest of what was asked, to tell a true retry from a reused key
    fingerprint: Mapped[str] = mapped_column(String(64))
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    postings: Mapped[list["LedgerPosting"]] = relationship(
        back_populates="transaction", order_by="LedgerPosting.amount",
        overlaps="transaction",
    )


class LedgerPosting(CommunityScoped, Base):
    __tablename__ = "ledger_postings"
    __table_args__ = (
        ForeignKeyConstraint(
            ["community_id", "transaction_id"],
            ["ledger_transactions.community_id", "ledger_transactions.id"],
        ),
        ForeignKeyConstraint(
            ["community_id", "account_id"], ["ledger_accounts.community_id", "ledger_accounts.id"]
        ),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        Index("ix_ledger_postings_account", "community_id", "account_id", "created_at"),
        Index("ix_ledger_postings_transaction", "community_id", "transaction_id"),
    )

    transaction_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int | None] = mapped_column(BigInteger)
    # On wallet credits: when these points expire under the community's policy (None: never).
    # A reversal's debit of a wallet carries the expiry of the credit it takes back.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    transaction: Mapped[LedgerTransaction] = relationship(
        back_populates="postings", overlaps="postings"
    )
    account: Mapped[LedgerAccount] = relationship(overlaps="transaction,postings")
