"""The platform bills a community, or a district for all its communities (Stripe Billing).

Global tables: a payer is a community or a district, never both (a district is no tenant),
and the webhook finds rows by their Stripe ids without a tenant scope. Pages read them only
through ``core.billing.queries``, which filters by the payer in the URL.
"""

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, GlobalModel
from core.types import UTCDateTime


class PayerKind(enum.StrEnum):
    COMMUNITY = "community"
    DISTRICT = "district"


# Stripe's subscription statuses that still bill (a new subscription is refused meanwhile),
# and those that warrant the banner on the payer's pages.
LIVE_STATUSES = {"incomplete", "trialing", "active", "past_due", "unpaid", "paused"}
OVERDUE_STATUSES = {"past_due", "unpaid"}


class BillingCustomer(GlobalModel, Base):
    __tablename__ = "billing_customers"
    __table_args__ = (
        CheckConstraint("(community_id IS NULL) <> (district_id IS NULL)", name="one_payer"),
    )

    community_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("communities.id"), unique=True)
    district_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("districts.id"), unique=True)
    stripe_customer_id: Mapped[str] = mapped_column(String(255), unique=True)
    email: Mapped[str] = mapped_column(String(254))

    subscriptions: Mapped[list["BillingSubscription"]] = relationship(
        back_populates="customer", order_by="BillingSubscription.created_at.desc()")


class BillingSubscription(GlobalModel, Base):
    __tablename__ = "billing_subscriptions"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_customers.id"), index=True)
    stripe_subscription_id: Mapped[str] = mapped_column(String(255), unique=True)
    plan: Mapped[str] = mapped_column(String(20))  # a PayerKind: the plan of that payer
    price_id: Mapped[str | None] = mapped_column(String(255))
    # Stripe's own word, kept as it comes (Stripe may add statuses; none is lost here)
    status: Mapped[str] = mapped_column(String(30))
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    interval: Mapped[str | None] = mapped_column(String(10))
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    latest_invoice_id: Mapped[str | None] = mapped_column(String(255))
    invoice_url: Mapped[str | None] = mapped_column(String(1000))  # Stripe's hosted invoice page
    last_payment_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # ``created`` of the last subscription event applied: a late, older one changes nothing
    stripe_event_at: Mapped[int | None] = mapped_column(BigInteger)
    invoice_event_at: Mapped[int | None] = mapped_column(BigInteger)  # the same, for invoices

    customer: Mapped[BillingCustomer] = relationship(back_populates="subscriptions")

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.status in OVERDUE_STATUSES
