"""Reading the grid: lists for the admin pages, and the questions other capabilities ask
(which grid is a resident's, who staffs it, who is in a team)."""

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from core.extensions import db
from core.identity.models import Member, Role
from tenants.grid.models import Building, Grid, GridStaff, Residence, StaffRole, Team, TeamMember


@dataclass
class GridRow:
    grid: Grid
    parent_name: str | None
    buildings: int
    staff: list[tuple[Member, StaffRole]]


def grid_rows() -> list[GridRow]:
    grids = list(db.session.scalars(select(Grid).order_by(Grid.name)))
    names = {g.id: g.name for g in grids}
    counts = dict(db.session.execute(
        select(Building.grid_id, func.count()).group_by(Building.grid_id)
    ).all())
    staff: dict[uuid.UUID, list] = {}
    for row in db.session.scalars(select(GridStaff).order_by(GridStaff.role, GridStaff.created_at)):
        staff.setdefault(row.grid_id, []).append((row.member, row.role))
    # grids first, each followed by its micro-grids
    ordered = [g for g in grids if g.parent_id is None]
    result = []
    for grid in ordered:
        for g in [grid] + [m for m in grids if m.parent_id == grid.id]:
            result.append(GridRow(g, names.get(g.parent_id), counts.get(g.id, 0), staff.get(g.id, [])))
    return result


def all_grids() -> list[Grid]:
    return list(db.session.scalars(select(Grid).order_by(Grid.name)))


def top_grids() -> list[Grid]:
    return list(db.session.scalars(select(Grid).where(Grid.parent_id.is_(None)).order_by(Grid.name)))


def buildings(grid_id=None) -> list[Building]:
    query = select(Building).order_by(Building.name)
    if grid_id is not None:
        query = query.where(Building.grid_id == grid_id)
    return list(db.session.scalars(query))


def building_counts() -> dict:
    return dict(db.session.execute(
        select(Residence.building_id, func.count()).group_by(Residence.building_id)
    ).all())


def residents_of(building_id) -> list[Residence]:
    return list(db.session.scalars(
        select(Residence).join(Member, (Member.community_id == Residence.community_id)
                               & (Member.id == Residence.member_id))
        .where(Residence.building_id == building_id).order_by(Member.name)
    ))


def staff_of(grid_id) -> list[GridStaff]:
    return list(db.session.scalars(
        select(GridStaff).where(GridStaff.grid_id == grid_id).order_by(GridStaff.role, GridStaff.created_at)
    ))


def micro_grids(grid_id) -> list[Grid]:
    return list(db.session.scalars(select(Grid).where(Grid.parent_id == grid_id).order_by(Grid.name)))


def residence_of(member_id) -> Residence | None:
    return db.session.scalar(select(Residence).where(Residence.member_id == member_id))


def grid_of_member(member_id) -> Grid | None:
    """The grid (or micro-grid) of the building the member lives in, if any."""
    return db.session.scalar(
        select(Grid)
        .join(Building, (Building.community_id == Grid.community_id) & (Building.grid_id == Grid.id))
        .join(Residence, (Residence.community_id == Building.community_id)
              & (Residence.building_id == Building.id))
        .where(Residence.member_id == member_id)
    )


def grid_ids_staffed_by(member_id) -> set[uuid.UUID]:
    """The grids a member staffs, and the micro-grids inside them."""
    direct = set(db.session.scalars(select(GridStaff.grid_id).where(GridStaff.member_id == member_id)))
    if not direct:
        return set()
    children = set(db.session.scalars(select(Grid.id).where(Grid.parent_id.in_(direct))))
    return direct | children


def staff_member_ids_of_grid(grid: Grid) -> list[uuid.UUID]:
    """Who looks after ``grid``: its own staff, and for a micro-grid its parent's too."""
    ids = [grid.id] + ([grid.parent_id] if grid.parent_id else [])
    return list(db.session.scalars(
        select(GridStaff.member_id).where(GridStaff.grid_id.in_(ids)).distinct()
    ))


def staff_members() -> list[Member]:
    """Members who can be assigned to grids (grid workers and admins)."""
    return list(db.session.scalars(
        select(Member).where(Member.active.is_(True), Member.role.in_([Role.GRID_WORKER, Role.ADMIN]))
        .order_by(Member.name)
    ))


def active_members(limit: int = 5000) -> list[Member]:
    return list(db.session.scalars(
        select(Member).where(Member.active.is_(True)).order_by(Member.number).limit(limit)
    ))


def teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def team_sizes() -> dict:
    return dict(db.session.execute(
        select(TeamMember.team_id, func.count()).group_by(TeamMember.team_id)
    ).all())


def team_members(team_id) -> list[Member]:
    return list(db.session.scalars(
        select(Member).join(TeamMember, (TeamMember.community_id == Member.community_id)
                            & (TeamMember.member_id == Member.id))
        .where(TeamMember.team_id == team_id).order_by(Member.name)
    ))


def is_team_member(team_id, member_id) -> bool:
    return db.session.scalar(
        select(TeamMember.id).where(TeamMember.team_id == team_id, TeamMember.member_id == member_id)
    ) is not None


def teams_of(member_id) -> list[Team]:
    return list(db.session.scalars(
        select(Team).join(TeamMember, (TeamMember.community_id == Team.community_id)
                          & (TeamMember.team_id == Team.id))
        .where(TeamMember.member_id == member_id).order_by(Team.name)
    ))
