"""Volunteer activities (志愿活动): sign-up → service → points (报名—服务—积分).

- ``Activity``: what, where, when, how many places, until when one can sign up, the rule
  that pays for it (per hour or per attendance), optionally only for one volunteer team.
  ``code_secret`` derives the 6-digit door code that changes every minute.
- ``Signup``: one member's place (or waitlist position) in one activity, with the check-in
  and check-out times, make-up minutes an admin added, and, once the activity is closed,
  the points paid and the ledger transaction that paid them.
"""

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, CommunityScoped
from core.identity.models import Member, enum_column
from core.types import UTCDateTime


class ActivityStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    CLOSED = "closed"  # points paid


class SignupStatus(enum.StrEnum):
    SIGNED_UP = "signed_up"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


DEFAULT_MIN_SHARE = 60  # percent of the activity's duration needed to earn its points


class Activity(CommunityScoped, Base):
    __tablename__ = "activities"
    __table_args__ = (
        ForeignKeyConstraint(["community_id", "rule_id"], ["rules.community_id", "rules.id"]),
        ForeignKeyConstraint(["community_id", "team_id"], ["teams.community_id", "teams.id"]),
        ForeignKeyConstraint(["community_id", "created_by_id"], ["members.community_id", "members.id"]),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("min_share BETWEEN 1 AND 100", name="min_share_percent"),
        Index("ix_activities_starts", "community_id", "status", "starts_at"),
    )

    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signup_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    rule_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    team_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    min_share: Mapped[int] = mapped_column(Integer, default=DEFAULT_MIN_SHARE)
    status: Mapped[ActivityStatus] = enum_column(ActivityStatus, default=ActivityStatus.PUBLISHED)
    code_secret: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # a user id (admins may have no member row)
    attendees_paid: Mapped[int | None] = mapped_column(Integer)
    points_paid: Mapped[int | None] = mapped_column(Integer)

    @property
    def duration_minutes(self) -> int:
        return max(1, int((self.ends_at - self.starts_at).total_seconds() // 60))


class Signup(CommunityScoped, Base):
    __tablename__ = "activity_signups"
    __table_args__ = (
        UniqueConstraint("community_id", "activity_id", "member_id"),
        ForeignKeyConstraint(["community_id", "activity_id"], ["activities.community_id", "activities.id"]),
        ForeignKeyConstraint(["community_id", "member_id"], ["members.community_id", "members.id"]),
        ForeignKeyConstraint(
            ["community_id", "transaction_id"],
            ["ledger_transactions.community_id", "ledger_transactions.id"],
        ),
        CheckConstraint("makeup_minutes >= 0", name="makeup_not_negative"),
        Index("ix_activity_signups_activity", "community_id", "activity_id", "status", "queued_at"),
        Index("ix_activity_signups_member", "community_id", "member_id"),
    )

    activity_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    status: Mapped[SignupStatus] = enum_column(SignupStatus)
    # When the member (last) asked for a place: the waitlist is served in this order.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signed_up_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # staff signing up for a resident
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_how: Mapped[str | None] = mapped_column(String(16))  # staff, card, code
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_out_how: Mapped[str | None] = mapped_column(String(16))  # staff, card, code, auto
    # Nobody checked them out: checked out at the end time by the system, for staff to review.
    auto_checked_out: Mapped[bool] = mapped_column(Boolean, default=False)
    makeup_minutes: Mapped[int] = mapped_column(Integer, default=0)
    makeup_reason: Mapped[str | None] = mapped_column(String(300))
    makeup_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # a user id
    points: Mapped[int | None] = mapped_column(Integer)
    # Earned less (or nothing) because the rule's cap for this member was reached.
    capped: Mapped[bool] = mapped_column(Boolean, default=False)
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    member: Mapped[Member] = relationship(viewonly=True)
