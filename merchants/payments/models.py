"""A merchant's Stripe connected account (Connect, Express): where its statements are paid."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, GlobalModel
from core.payments.gateway import AccountStatus
from core.types import UTCDateTime


class ConnectedAccount(GlobalModel, Base):
    """One per merchant, made once; its flags are Stripe's, refreshed by ``account.updated``
    (and when the merchant comes back from onboarding)."""

    __tablename__ = "merchant_connected_accounts"

    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("merchants.id"), unique=True)
    stripe_account_id: Mapped[str] = mapped_column(String(255), unique=True)
    charges_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    payouts_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    details_submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    transfers_active: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # ``created`` of the last event applied: an older event arriving late changes nothing
    stripe_event_at: Mapped[int | None] = mapped_column(BigInteger)

    def status(self) -> AccountStatus:
        return AccountStatus(self.stripe_account_id, self.charges_enabled, self.payouts_enabled,
                             self.details_submitted, self.transfers_active)

    @property
    def ready(self) -> bool:
        return self.status().ready
