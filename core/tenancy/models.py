"""Districts group communities; a community is a tenant."""

import uuid

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, GlobalModel

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"


class District(GlobalModel, Base):
    __tablename__ = "districts"

    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))

    communities: Mapped[list["Community"]] = relationship(back_populates="district")


class Community(GlobalModel, Base):
    __tablename__ = "communities"

    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id"), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    # Small per-community settings (points expiry policy, shop windows...) owned by the
    # capability that reads them; each reads its own key with a default.
    settings: Mapped[dict] = mapped_column(JSON, default=dict)

    district: Mapped[District] = relationship(back_populates="communities")
