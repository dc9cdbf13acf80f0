from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, GlobalModel


class StripeEvent(GlobalModel, Base):
    """A webhook event already acted on. Stripe delivers at least once (and retries for days):
    the unique ``event_id``, inserted in the same transaction as the event's effect, makes a
    second delivery do nothing, even when two arrive at once."""

    __tablename__ = "stripe_events"

    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(20))  # applied, unknown, stale
