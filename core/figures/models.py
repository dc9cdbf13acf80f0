"""Roll-ups that keep the dashboards fast on a large ledger.

The ledger has every posting (tens of millions in a big district); a dashboard needs sums per
community and month. A Celery task (``rollup.roll_up``, every minute) folds postings older
than a short safety lag into these tables, and a read adds the postings since (the "tail",
small) live, so figures are exact and cheap:

- ``FigureWatermark``: per community, postings created before ``rolled_to`` are folded in;
- ``KindMonth``: per community, local month and the member's account kind: points issued
  (net of reversed awards), spent (shop and merchants, net of refunds) and expired;
- ``MemberActivity``: per member, when they last earned points (active volunteers);
- ``MonthSnapshot``: per community and finished month, its members by account kind and how
  many were active in the 90 days up to its end (frozen once the month is over);
- ``CurrentCounts``: per community, members by kind and active volunteers as of the last run.
"""

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, CommunityScoped
from core.types import UTCDateTime


class FigureWatermark(CommunityScoped, Base):
    __tablename__ = "figure_watermarks"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    name: Mapped[str] = mapped_column(String(20), default="ledger")
    rolled_to: Mapped[datetime] = mapped_column(UTCDateTime)


class KindMonth(CommunityScoped, Base):
    __tablename__ = "figure_kind_months"
    __table_args__ = (UniqueConstraint("community_id", "month", "account_kind"),)

    month: Mapped[str] = mapped_column(String(7))  # "2025-05", the community's local month
    # The member's account kind (red, blue, green); "" for movements of no member.
    account_kind: Mapped[str] = mapped_column(String(20))
    issued: Mapped[int] = mapped_column(BigInteger, default=0)
    spent: Mapped[int] = mapped_column(BigInteger, default=0)
    expired: Mapped[int] = mapped_column(BigInteger, default=0)


class MemberActivity(CommunityScoped, Base):
    __tablename__ = "figure_member_activity"
    __table_args__ = (
        UniqueConstraint("community_id", "member_id"),
        ForeignKeyConstraint(["community_id", "member_id"], ["members.community_id", "members.id"]),
        Index("ix_figure_member_activity_last", "community_id", "last_earned_at"),
    )

    member_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    last_earned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MonthSnapshot(CommunityScoped, Base):
    """What a finished month ended with, frozen by the roll-up once the month is over: the
    members of each account kind and how many were active (earned points in the 90 days up
    to the month's end). The past does not change, so it is counted once."""

    __tablename__ = "figure_month_snapshots"
    __table_args__ = (UniqueConstraint("community_id", "month"),)

    month: Mapped[str] = mapped_column(String(7))
    active: Mapped[int] = mapped_column(Integer)
    members_red: Mapped[int] = mapped_column(Integer)
    members_blue: Mapped[int] = mapped_column(Integer)
    members_green: Mapped[int] = mapped_column(Integer)


class CurrentCounts(CommunityScoped, Base):
    """The community's counts as the last roll-up left them; a read adds what changed since
    (members numbered above ``max_number``, earners after the watermark) instead of counting
    hundreds of thousands of rows on every dashboard. A member's change of account kind or
    deactivation shows at the next roll-up (within a minute or two)."""

    __tablename__ = "figure_current_counts"
    __table_args__ = (UniqueConstraint("community_id"),)

    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    members_red: Mapped[int] = mapped_column(Integer)
    members_blue: Mapped[int] = mapped_column(Integer)
    members_green: Mapped[int] = mapped_column(Integer)
    max_number: Mapped[int] = mapped_column(Integer)  # the highest member number counted
    active: Mapped[int] = mapped_column(Integer)  # members whose last earning is >= active_since
    active_since: Mapped[datetime] = mapped_column(UTCDateTime)
