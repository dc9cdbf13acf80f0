"""The points shop (积分超市): items on the shelf, residents' orders, and redemption windows.

Stock is changed only by guarded UPDATEs (``stock = stock - q WHERE stock >= q``) in
``actions.py``; the CHECK below is the database's own backstop. An order's status moves only
by guarded UPDATEs too (``WHERE status = 'reserved'``), so a cancel racing an expiry or a
hand-over refunds at most once.
"""

import enum
import uuid
from datetime import datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Time,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, CommunityScoped
from core.identity.models import enum_column
from core.types import UTCDateTime

MEMBER_FK = ForeignKeyConstraint(["community_id", "member_id"], ["members.community_id", "members.id"])


class ShopItem(CommunityScoped, Base):
    __tablename__ = "shop_items"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("per_member_limit IS NULL OR per_member_limit > 0", name="limit_positive"),
        Index("ix_shop_items_list", "community_id", "active", "category"),
    )

    name: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(40), default="")
    points: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    # How many one member may take in one redemption window; None: no limit (API.md).
    per_member_limit: Mapped[int | None] = mapped_column(Integer)
    # At or below this, the item is on the staff's low-stock list.
    low_stock_at: Mapped[int] = mapped_column(Integer, default=5)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped when the photo changes, so browsers fetch the new one (?v=...).
    photo_version: Mapped[int] = mapped_column(Integer, default=0)


class ShopItemPhoto(CommunityScoped, Base):
    """The re-encoded photo of an item (JPEG, metadata stripped). Kept in the database, so it
    is behind the same tenant scoping and row-level security as everything else, and backed
    up with it; photos are small after re-encoding (at most 1200 px)."""

    __tablename__ = "shop_item_photos"
    __table_args__ = (
        UniqueConstraint("community_id", "item_id"),
        ForeignKeyConstraint(["community_id", "item_id"], ["shop_items.community_id", "shop_items.id"]),
    )

    item_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class OrderStatus(enum.StrEnum):
    RESERVED = "reserved"    # points taken, stock held, waiting to be handed over
    COLLECTED = "collected"  # handed over
    CANCELLED = "cancelled"  # points and stock given back
    EXPIRED = "expired"      # not collected in time: points and stock given back


class ShopOrder(CommunityScoped, Base):
    __tablename__ = "shop_orders"
    __table_args__ = (
        MEMBER_FK,
        ForeignKeyConstraint(["community_id", "item_id"], ["shop_items.community_id", "shop_items.id"]),
        UniqueConstraint("community_id", "pickup_code"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_shop_orders_member", "community_id", "member_id", "created_at"),
        Index("ix_shop_orders_status", "community_id", "status", "expires_at"),
    )

    item_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    quantity: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)  # the total paid
    item_name: Mapped[str] = mapped_column(String(80))  # as it was when ordered
    status: Mapped[OrderStatus] = enum_column(OrderStatus, default=OrderStatus.RESERVED)
    pickup_code: Mapped[str] = mapped_column(String(12))
    # Who placed it: the resident's own user, or the staff user acting for them.
    placed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    at_counter: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # collected/cancelled/expired
    closed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    spend_transaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    refund_transaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class WindowKind(enum.StrEnum):
    WEEKLY = "weekly"  # every given weekday, between two times of day
    DATED = "dated"    # from one date and time to another (e.g. twice a year)


class ShopWindow(CommunityScoped, Base):
    """When residents may redeem. No windows at all: the shop is always open (API.md).
    Times are the community's local times; dated windows are stored as UTC instants."""

    __tablename__ = "shop_windows"
    __table_args__ = (
        CheckConstraint("weekday IS NULL OR (weekday >= 0 AND weekday <= 6)", name="weekday_range"),
    )

    kind: Mapped[WindowKind] = enum_column(WindowKind)
    weekday: Mapped[int | None] = mapped_column(SmallInteger)  # 0 = Monday
    opens: Mapped[time | None] = mapped_column(Time)
    closes: Mapped[time | None] = mapped_column(Time)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
