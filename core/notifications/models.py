"""The in-app inbox, and the outbox of messages sent by SMS or e-mail.

- ``Notification``: one notice in a member's inbox. It holds a ``kind`` and plain
  parameters; the words are made when it is read, in the reader's language, by the renderer
  the owning capability registered (``core.notifications.actions.register_kind``).
- ``OutboxMessage``: a notice to deliver outside the app. Written in the same transaction as
  the notice, sent by a Celery task only after that transaction commits, through the
  configured backend (``core.notifications.delivery``); ``key`` makes the enqueue and the
  send idempotent, ``attempts`` and ``next_attempt_at`` drive retries with backoff.
"""

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, CommunityScoped
from core.identity.models import enum_column
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


class Channel(enum.StrEnum):
    SMS = "sms"
    EMAIL = "email"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry


class OutboxMessage(CommunityScoped, Base):
    __tablename__ = "notification_outbox"
    __table_args__ = (
        ForeignKeyConstraint(["community_id", "member_id"], ["members.community_id", "members.id"]),
        UniqueConstraint("community_id", "key"),
        Index("ix_notification_outbox_pending", "status", "next_attempt_at"),
    )

    member_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    channel: Mapped[Channel] = enum_column(Channel)
    # "<notification id>:<channel>": one message per notice and channel, however often queued
    key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    address: Mapped[str] = mapped_column(String(200))
    status: Mapped[OutboxStatus] = enum_column(OutboxStatus, default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
