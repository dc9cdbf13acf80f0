"""The grid (网格): community → grid → micro-grid → building, and the people attached to it.

- ``Grid``: a grid, or a micro-grid when it has a parent grid (one level deep).
- ``Building``: belongs to a grid or a micro-grid; residents live in one (``Residence``).
- ``GridStaff``: a member assigned to a grid as grid worker (网格员) or grid head (网格长).
- ``Team``: a volunteer team, optionally one of the five standing roles (五员), optionally
  tied to a grid, with members (``TeamMember``) and a leader who is one of them.

Every foreign key between these rows carries ``community_id`` (see ``core.db``).
"""

import enum
import uuid

from sqlalchemy import ForeignKeyConstraint, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, CommunityScoped
from core.identity.models import Member, enum_column


class StaffRole(enum.StrEnum):
    WORKER = "worker"  # 网格员
    HEAD = "head"  # 网格长


class TeamRole(enum.StrEnum):
    """The five standing volunteer roles (五员), worn on armbands."""

    ENVIRONMENT = "environment"  # 环境巡查员
    SAFETY = "safety"  # 安全巡查员
    MEDIATION = "mediation"  # 矛盾调解员
    BUILDING_GUARD = "building_guard"  # 楼栋守护员
    CARE = "care"  # 帮扶关爱员


def _member_fk(column: str):
    return ForeignKeyConstraint(["community_id", column], ["members.community_id", "members.id"])


class Grid(CommunityScoped, Base):
    __tablename__ = "grids"
    __table_args__ = (
        UniqueConstraint("community_id", "name"),
        ForeignKeyConstraint(["community_id", "parent_id"], ["grids.community_id", "grids.id"]),
    )

    name: Mapped[str] = mapped_column(String(80))
    # Set on a micro-grid (微网格): the grid it is part of.
    parent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    note: Mapped[str] = mapped_column(String(300), default="")

    @property
    def is_micro(self) -> bool:
        return self.parent_id is not None


class Building(CommunityScoped, Base):
    __tablename__ = "buildings"
    __table_args__ = (
        UniqueConstraint("community_id", "name"),
        ForeignKeyConstraint(["community_id", "grid_id"], ["grids.community_id", "grids.id"]),
        Index("ix_buildings_grid", "community_id", "grid_id"),
    )

    name: Mapped[str] = mapped_column(String(80))
    grid_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    address: Mapped[str] = mapped_column(String(200), default="")

    grid: Mapped[Grid] = relationship(viewonly=True)


class Residence(CommunityScoped, Base):
    """A member lives in one building (a household's unit and room are free text)."""

    __tablename__ = "residences"
    __table_args__ = (
        UniqueConstraint("community_id", "member_id"),
        ForeignKeyConstraint(
            ["community_id", "building_id"], ["buildings.community_id", "buildings.id"]
        ),
        _member_fk("member_id"),
        Index("ix_residences_building", "community_id", "building_id"),
    )

    member_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    building_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    unit: Mapped[str] = mapped_column(String(40), default="")

    member: Mapped[Member] = relationship(viewonly=True)
    building: Mapped[Building] = relationship(viewonly=True)


class GridStaff(CommunityScoped, Base):
    __tablename__ = "grid_staff"
    __table_args__ = (
        UniqueConstraint("community_id", "grid_id", "member_id"),
        ForeignKeyConstraint(["community_id", "grid_id"], ["grids.community_id", "grids.id"]),
        _member_fk("member_id"),
        Index("ix_grid_staff_member", "community_id", "member_id"),
    )

    grid_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    role: Mapped[StaffRole] = enum_column(StaffRole, default=StaffRole.WORKER)

    member: Mapped[Member] = relationship(viewonly=True)
    grid: Mapped[Grid] = relationship(viewonly=True)


class Team(CommunityScoped, Base):
    __tablename__ = "teams"
    __table_args__ = (
        UniqueConstraint("community_id", "name"),
        ForeignKeyConstraint(["community_id", "grid_id"], ["grids.community_id", "grids.id"]),
        _member_fk("leader_id"),
    )

    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[TeamRole | None] = enum_column(TeamRole, nullable=True)
    grid_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    leader_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    grid: Mapped[Grid | None] = relationship(viewonly=True)
    leader: Mapped[Member | None] = relationship(viewonly=True)


class TeamMember(CommunityScoped, Base):
    __tablename__ = "team_members"
    __table_args__ = (
        UniqueConstraint("community_id", "team_id", "member_id"),
        ForeignKeyConstraint(["community_id", "team_id"], ["teams.community_id", "teams.id"]),
        _member_fk("member_id"),
        Index("ix_team_members_member", "community_id", "member_id"),
    )

    team_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid)

    member: Mapped[Member] = relationship(viewonly=True)
