import uuid

from sqlalchemy import JSON, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, GlobalModel


class AuditEvent(GlobalModel, Base):
    """Who did what, append-only.

    A global table, because platform, district and merchant actions have no community; it is
    read only through ``core.audit.queries``, which filters by community or merchant.
    """

    __tablename__ = "audit_events"

    community_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    merchant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    event: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
