"""A resident's inbox: small notices written by tasks and actions (a shop window closing...).

Kept deliberately small: no e-mail, SMS or push yet. A row holds a ``kind`` and plain
parameters; the text is worded when it is read, in the reader's language, by the renderer
the owning capability registered for that kind (``core.notifications.actions.register_kind``).
"""

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKeyConstraint, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, CommunityScoped
from core.types import UTCDateTime


class Notification(CommunityScoped, Base):
    __tablename__ = "notifications"
    __table_args__ = (
        ForeignKeyConstraint(["community_id", "member_id"], ["members.community_id", "members.id"]),
        # A task that runs twice writes one notice: the second insert meets this key.
        UniqueConstraint("community_id", "member_id", "dedupe_key"),
        Index("ix_notifications_member", "community_id", "member_id", "created_at"),
    )

    member_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
