"""Work orders (工单): residents order, grid workers take the order, volunteers do the work
(点餐—收单—核单); accepted → dispatched → handled → feedback and rating → closed
(网格受理问题—分流交办—联动处置—反馈评价).

- ``OrderCategory``: the community's categories, each with the rule that pays its
  handlers, for hazards the rule that pays a confirmed reporter, and a bonus for a good rating.
- ``WorkOrder``: one need, micro-wish (微心愿) or hazard report, routed to the grid of the
  reporter's building; ``status`` moves only through ``tenants.workorders.flow``.
- ``OrderHandler``: who did the work (the person who recorded it and the helpers they
  named), and what each was paid.
- ``OrderEvent``: the order's timeline: every step, who and when.
"""

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
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


class OrderKind(enum.StrEnum):
    NEED = "need"
    WISH = "wish"  # 微心愿
    HAZARD = "hazard"


class Urgency(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class OrderStatus(enum.StrEnum):
    REPORTED = "reported"
    ACCEPTED = "accepted"
    DISPATCHED = "dispatched"
    DONE = "done"  # handled; waiting for the resident's confirmation and rating
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


OPEN_STATUSES = (OrderStatus.REPORTED, OrderStatus.ACCEPTED, OrderStatus.DISPATCHED)


def _fk(column: str, table: str):
    return ForeignKeyConstraint(["community_id", column], [f"{table}.community_id", f"{table}.id"])


class OrderCategory(CommunityScoped, Base):
    __tablename__ = "order_categories"
    __table_args__ = (
        UniqueConstraint("community_id", "name"),
        _fk("rule_id", "rules"),
        _fk("reporter_rule_id", "rules"),
        CheckConstraint("bonus_points >= 0", name="bonus_not_negative"),
    )

    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[OrderKind] = enum_column(OrderKind)
    rule_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # pays each handler
    reporter_rule_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # pays a confirmed hazard's reporter
    bonus_points: Mapped[int] = mapped_column(Integer, default=0)  # per handler, for a good rating
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class WorkOrder(CommunityScoped, Base):
    __tablename__ = "work_orders"
    __table_args__ = (
        UniqueConstraint("community_id", "number"),
        _fk("category_id", "order_categories"),
        _fk("reporter_id", "members"),
        _fk("created_by_id", "members"),
        _fk("grid_id", "grids"),
        _fk("assignee_id", "members"),
        _fk("team_id", "teams"),
        _fk("taken_by_id", "members"),
        _fk("done_by_id", "members"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_1_to_5"),
        CheckConstraint("hours IS NULL OR hours BETWEEN 1 AND 24", name="hours_1_to_24"),
        Index("ix_work_orders_queue", "community_id", "status", "grid_id", "created_at"),
        Index("ix_work_orders_reporter", "community_id", "reporter_id", "created_at"),
        Index("ix_work_orders_closed", "community_id", "closed_at"),
    )

    number: Mapped[int] = mapped_column(Integer)  # "#42", read over the phone
    kind: Mapped[OrderKind] = enum_column(OrderKind)
    category_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    text: Mapped[str] = mapped_column(Text)
    photo: Mapped[str | None] = mapped_column(String(64))
    place: Mapped[str] = mapped_column(String(200), default="")
    urgency: Mapped[Urgency] = enum_column(Urgency, default=Urgency.NORMAL)
    reporter_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_by_id: Mapped[uuid.UUID] = mapped_column(Uuid)  # the reporter, or staff on their behalf
    grid_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # None: the reporter has no building yet
    status: Mapped[OrderStatus] = enum_column(OrderStatus, default=OrderStatus.REPORTED)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The staff member who accepted or dispatched it: the awarder of its points.
    taken_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    team_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    done_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_note: Mapped[str | None] = mapped_column(Text)
    done_photo: Mapped[str | None] = mapped_column(String(64))
    hours: Mapped[int | None] = mapped_column(Integer)  # for categories paid per hour
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(String(500))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_how: Mapped[str | None] = mapped_column(String(16))  # confirmed, auto
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reporter_paid: Mapped[bool] = mapped_column(Boolean, default=False)

    category: Mapped[OrderCategory] = relationship(viewonly=True)
    reporter: Mapped[Member] = relationship(viewonly=True, foreign_keys=[reporter_id])


class OrderHandler(CommunityScoped, Base):
    __tablename__ = "order_handlers"
    __table_args__ = (
        UniqueConstraint("community_id", "order_id", "member_id"),
        _fk("order_id", "work_orders"),
        _fk("member_id", "members"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    points: Mapped[int | None] = mapped_column(Integer)  # set when paid

    member: Mapped[Member] = relationship(viewonly=True)


class OrderEvent(CommunityScoped, Base):
    __tablename__ = "order_events"
    __table_args__ = (
        _fk("order_id", "work_orders"),
        _fk("actor_member_id", "members"),
        Index("ix_order_events_order", "community_id", "order_id", "created_at"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    step: Mapped[str] = mapped_column(String(32))
    actor_member_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # None: the system
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
