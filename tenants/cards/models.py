"""Resident cards: a printed card with the member's name, number and a QR code, so a resident
without a phone can be found by staff in one scan.

The card carries a code made of the member number and a keyed signature of (community,
member, card epoch): see ``codes.py``. Replacing a lost card bumps the epoch, which voids
every code printed before. A member without a row has epoch 1 (no card was ever replaced).
"""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Integer, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, CommunityScoped
from core.types import UTCDateTime


class ResidentCard(CommunityScoped, Base):
    __tablename__ = "resident_cards"
    __table_args__ = (
        UniqueConstraint("community_id", "member_id"),
        ForeignKeyConstraint(["community_id", "member_id"], ["members.community_id", "members.id"]),
    )

    member_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    epoch: Mapped[int] = mapped_column(Integer, default=1)
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
