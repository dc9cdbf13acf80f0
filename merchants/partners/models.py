"""Merchants are global: one restaurant serves residents of several communities."""

import enum
import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, GlobalModel
from core.identity.models import User, enum_column


class MerchantRole(enum.StrEnum):
    OWNER = "owner"
    STAFF = "staff"  # counter operators


class Merchant(GlobalModel, Base):
    __tablename__ = "merchants"

    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(200))
    opening_hours: Mapped[str | None] = mapped_column(String(120))


class MerchantUser(GlobalModel, Base):
    __tablename__ = "merchant_users"
    __table_args__ = (UniqueConstraint("merchant_id", "user_id"),)

    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("merchants.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[MerchantRole] = enum_column(MerchantRole)

    merchant: Mapped[Merchant] = relationship()
    user: Mapped[User] = relationship()
