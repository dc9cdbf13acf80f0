"""People and what they may do.

A ``User`` is a login, global. What the user may do comes from grants:
- ``Member`` (a tenant row): a role in one community, and for residents an account kind;
- ``DistrictAdmin``: administers a district and its communities;
- ``User.is_platform_admin``: runs the platform;
- merchant owners and staff live with the merchants (``merchants.partners``).
"""

import enum
import uuid
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, CommunityScoped, GlobalModel
from core.types import UTCDateTime


class Role(enum.StrEnum):
    RESIDENT = "resident"
    GRID_WORKER = "grid_worker"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return ROLE_RANK[self]


ROLE_RANK = {Role.RESIDENT: 1, Role.GRID_WORKER: 2, Role.ADMIN: 3}


class AccountKind(enum.StrEnum):
    RED = "red"  # party members
    BLUE = "blue"  # ordinary residents
    GREEN = "green"  # building and unit heads


def enum_column(enum_cls, **kwargs):
    return mapped_column(
        SAEnum(enum_cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        **kwargs,
    )


class User(UserMixin, GlobalModel, Base):
    __tablename__ = "users"

    login: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(16))
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on password change: sessions and remember-me cookies of the old epoch end.
    auth_epoch: Mapped[int] = mapped_column(Integer, default=0)

    def get_id(self) -> str:
        return f"{self.id}.{self.auth_epoch}"

    @property
    def is_active(self) -> bool:
        return self.active


class Member(CommunityScoped, Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("community_id", "user_id"),
        UniqueConstraint("community_id", "number"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[Role] = enum_column(Role)
    account_kind: Mapped[AccountKind] = enum_column(AccountKind, default=AccountKind.BLUE)
    name: Mapped[str] = mapped_column(String(80))
    # The member number printed on the resident card: short, per community.
    number: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    user: Mapped[User] = relationship()

    def has_role(self, role: Role) -> bool:
        return self.active and ROLE_RANK[self.role] >= ROLE_RANK[role]


class DistrictAdmin(GlobalModel, Base):
    __tablename__ = "district_admins"
    __table_args__ = (UniqueConstraint("district_id", "user_id"),)

    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)

    user: Mapped[User] = relationship()


class ApiToken(GlobalModel, Base):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
