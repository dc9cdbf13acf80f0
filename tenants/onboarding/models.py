"""Onboarding a community: the district's shop-item templates, invitation links for grid
workers, and resident imports (a file, its rows and what is wrong with each).

``ShopItemTemplate`` lives here rather than in ``tenants/shop``: it is what a *district*
hands its new communities, like rule templates, and only onboarding reads it (it is copied
into the new community's shop when the community is created; the shop itself never looks
at templates). Keeping it here leaves the shop's module and invariants untouched.
"""

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, CommunityScoped, GlobalModel
from core.identity.models import Role, enum_column
from core.types import UTCDateTime


class ShopItemTemplate(GlobalModel, Base):
    __tablename__ = "shop_item_templates"
    __table_args__ = (
        UniqueConstraint("district_id", "name"),
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
    )

    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(40), default="")
    points: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer, default=0)  # what a new community starts with


class Invitation(CommunityScoped, Base):
    """A link that makes whoever opens it first a member with ``role``. The link carries a
    signed token (the invitation's id and a random nonce); only the nonce's SHA-256 is kept,
    so the database alone cannot rebuild a working link."""

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_open", "community_id", "used_at", "expires_at"),)

    role: Mapped[Role] = enum_column(Role, default=Role.GRID_WORKER)
    label: Mapped[str] = mapped_column(String(80), default="")  # who it is meant for
    nonce_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the user who joined
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def state(self, now: datetime) -> str:
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "open"


class BatchStatus(enum.StrEnum):
    OPEN = "open"  # checked, waiting for the admin (rows can be fixed, clean ones imported)
    DISCARDED = "discarded"


class ImportBatch(CommunityScoped, Base):
    __tablename__ = "resident_imports"

    filename: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[BatchStatus] = enum_column(BatchStatus, default=BatchStatus.OPEN)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    last_import_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImportRow(CommunityScoped, Base):
    """One row of the file, as read, as fixed by the admin, and what is wrong with it."""

    __tablename__ = "resident_import_rows"
    __table_args__ = (
        UniqueConstraint("community_id", "batch_id", "line"),
        ForeignKeyConstraint(["community_id", "batch_id"],
                             ["resident_imports.community_id", "resident_imports.id"]),
        ForeignKeyConstraint(["community_id", "member_id"], ["members.community_id", "members.id"]),
        Index("ix_resident_import_rows_batch", "community_id", "batch_id", "line"),
    )

    batch_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    line: Mapped[int] = mapped_column(Integer)  # the row number in the spreadsheet
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")  # as normalised (digits)
    kind_text: Mapped[str] = mapped_column(String(40), default="")
    account_kind: Mapped[str | None] = mapped_column(String(20))  # red, blue, green once known
    building: Mapped[str] = mapped_column(String(80), default="")
    building_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Problem codes (see ``residents.PROBLEMS``); empty: the row is clean.
    problems: Mapped[list] = mapped_column(JSON, default=list)
    # The admin says a same-name resident is another person (clears "possible duplicate").
    distinct_person: Mapped[bool] = mapped_column(Boolean, default=False)
    skip: Mapped[bool] = mapped_column(Boolean, default=False)
    member_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # set once imported

    @property
    def clean(self) -> bool:
        return not self.problems and not self.skip and self.member_id is None
