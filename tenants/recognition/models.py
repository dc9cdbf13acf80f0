"""Recognition: a member's wish to be named or not on public lists, and each district's
rules for grid workers' medals and residents' integrity stars."""

import uuid

from sqlalchemy import JSON, Boolean, ForeignKey, ForeignKeyConstraint, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, CommunityScoped, GlobalModel


class RecognitionPreference(CommunityScoped, Base):
    __tablename__ = "recognition_preferences"
    __table_args__ = (
        UniqueConstraint("community_id", "member_id"),
        ForeignKeyConstraint(["community_id", "member_id"], ["members.community_id", "members.id"]),
    )

    member_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # On leaderboards, honour rolls and review lists: "居民 王*" instead of the name.
    hide_name: Mapped[bool] = mapped_column(Boolean, default=False)


class RecognitionSettings(GlobalModel, Base):
    """A district's thresholds (see ``config.py`` for the shape and the defaults)."""

    __tablename__ = "recognition_settings"
    __table_args__ = (UniqueConstraint("district_id"),)

    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id"))
    config: Mapped[dict] = mapped_column(JSON, default=dict)
