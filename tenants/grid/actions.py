"""Every change to grids, buildings, staff, residences and teams. Each action owns its
transaction and leaves an audit row; a refused change raises ``ActionError`` and writes
nothing. References (a grid, a member) arrive as rows the caller has already checked
through ``tenants.grid.access`` or ``core.tenancy.access``."""

from contextlib import contextmanager

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from core.audit.actions import record
from core.errors import conflict, invalid
from core.extensions import db
from core.identity.models import Member, Role
from core.transactions import atomic
from tenants.grid.models import (
    Building,
    Grid,
    GridStaff,
    Residence,
    StaffRole,
    Team,
    TeamMember,
    TeamRole,
)


@contextmanager
def _unique(field: str, message: str):
    """A name taken concurrently reaches the unique constraint: say so, as the check would."""
    try:
        yield
        db.session.flush()
    except IntegrityError as exc:
        raise conflict("name_taken", message, field) from exc


def _name_taken(model, name, exclude_id=None) -> bool:
    query = select(model.id).where(model.name == name)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return db.session.scalar(query) is not None


def _clean_name(name) -> str:
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise invalid("invalid", _("Give a name of 1 to 80 characters."), "name")
    return name


# --- grids ----------------------------------------------------------------------------------


def do_create_grid(actor, *, name, parent: Grid | None = None, note: str = "") -> Grid:
    name = _clean_name(name)
    if parent is not None and parent.parent_id is not None:
        raise invalid("invalid_parent", _("A micro-grid belongs to a grid, not to another micro-grid."), "parent")
    with atomic():
        if _name_taken(Grid, name):
            raise conflict("name_taken", _("A grid with this name already exists."), "name")
        grid = Grid(name=name, parent_id=parent.id if parent else None, note=(note or "")[:300])
        with _unique("name", _("A grid with this name already exists.")):
            db.session.add(grid)
        record("grid.created", actor.user, grid=grid.id, name=name, parent=grid.parent_id)
    return grid


def do_update_grid(actor, grid: Grid, *, name, note: str = "") -> Grid:
    name = _clean_name(name)
    with atomic():
        if _name_taken(Grid, name, exclude_id=grid.id):
            raise conflict("name_taken", _("A grid with this name already exists."), "name")
        grid.name, grid.note = name, (note or "")[:300]
        with _unique("name", _("A grid with this name already exists.")):
            pass
        record("grid.updated", actor.user, grid=grid.id, name=name)
    return grid


def _require_staff_member(member: Member) -> None:
    if not member.has_role(Role.GRID_WORKER):
        raise invalid("not_staff", _("Only grid workers and admins can be assigned to a grid."), "member")


def do_assign_staff(actor, grid: Grid, member: Member, role: StaffRole = StaffRole.WORKER) -> GridStaff:
    """Assign ``member`` to ``grid`` as a grid worker or grid head (again: changes the role)."""
    _require_staff_member(member)
    role = StaffRole(role)
    with atomic():
        row = db.session.scalar(
            select(GridStaff).where(GridStaff.grid_id == grid.id, GridStaff.member_id == member.id)
        )
        if row is None:
            row = GridStaff(grid_id=grid.id, member_id=member.id, role=role)
            with _unique("member", _("This person is already assigned to this grid.")):
                db.session.add(row)
        else:
            row.role = role
        record("grid.staff_assigned", actor.user, grid=grid.id, member=member.id, role=role)
    return row


def do_unassign_staff(actor, grid: Grid, member: Member) -> None:
    with atomic():
        result = db.session.execute(
            delete(GridStaff).where(GridStaff.grid_id == grid.id, GridStaff.member_id == member.id)
        )
        if not result.rowcount:
            raise conflict("not_assigned", _("This person is not assigned to this grid."), "member")
        record("grid.staff_unassigned", actor.user, grid=grid.id, member=member.id)


# --- buildings and residents ----------------------------------------------------------------


def do_create_building(actor, *, name, grid: Grid, address: str = "") -> Building:
    name = _clean_name(name)
    with atomic():
        if _name_taken(Building, name):
            raise conflict("name_taken", _("A building with this name already exists."), "name")
        building = Building(name=name, grid_id=grid.id, address=(address or "")[:200])
        with _unique("name", _("A building with this name already exists.")):
            db.session.add(building)
        record("grid.building_created", actor.user, building=building.id, grid=grid.id, name=name)
    return building


def do_move_building(actor, building: Building, grid: Grid) -> Building:
    with atomic():
        building.grid_id = grid.id
        record("grid.building_moved", actor.user, building=building.id, grid=grid.id)
    return building


def do_attach_resident(actor, building: Building, member: Member, unit: str = "") -> Residence:
    """Record that ``member`` lives in ``building``; a member who moves is moved."""
    if len(unit or "") > 40:
        raise invalid("invalid", _("At most 40 characters."), "unit")
    with atomic():
        row = db.session.scalar(select(Residence).where(Residence.member_id == member.id))
        if row is None:
            row = Residence(member_id=member.id, building_id=building.id, unit=unit or "")
            with _unique("member", _("This person already has a building.")):
                db.session.add(row)
        else:
            row.building_id, row.unit = building.id, unit or ""
        record("grid.resident_attached", actor.user, building=building.id, member=member.id)
    return row


def do_detach_resident(actor, member: Member) -> None:
    with atomic():
        result = db.session.execute(delete(Residence).where(Residence.member_id == member.id))
        if not result.rowcount:
            raise conflict("not_attached", _("This person is not attached to a building."), "member")
        record("grid.resident_detached", actor.user, member=member.id)


# --- teams ------------------------------------------------------------------------------------


def do_create_team(actor, *, name, role: TeamRole | None = None, grid: Grid | None = None) -> Team:
    name = _clean_name(name)
    with atomic():
        if _name_taken(Team, name):
            raise conflict("name_taken", _("A team with this name already exists."), "name")
        team = Team(name=name, role=TeamRole(role) if role else None, grid_id=grid.id if grid else None)
        with _unique("name", _("A team with this name already exists.")):
            db.session.add(team)
        record("grid.team_created", actor.user, team=team.id, name=name, role=team.role)
    return team


def _is_in_team(team: Team, member: Member) -> bool:
    return db.session.scalar(
        select(TeamMember.id).where(TeamMember.team_id == team.id, TeamMember.member_id == member.id)
    ) is not None


def do_add_team_member(actor, team: Team, member: Member) -> TeamMember:
    with atomic():
        if _is_in_team(team, member):
            raise conflict("already_member", _("This person is already in the team."), "member")
        row = TeamMember(team_id=team.id, member_id=member.id)
        with _unique("member", _("This person is already in the team.")):
            db.session.add(row)
        record("grid.team_member_added", actor.user, team=team.id, member=member.id)
    return row


def do_remove_team_member(actor, team: Team, member: Member) -> None:
    with atomic():
        result = db.session.execute(
            delete(TeamMember).where(TeamMember.team_id == team.id, TeamMember.member_id == member.id)
        )
        if not result.rowcount:
            raise conflict("not_member", _("This person is not in the team."), "member")
        if team.leader_id == member.id:
            team.leader_id = None
        record("grid.team_member_removed", actor.user, team=team.id, member=member.id)


def do_set_team_leader(actor, team: Team, member: Member) -> Team:
    """Make ``member`` the team's leader, adding them to the team when they are not in it."""
    with atomic():
        if not _is_in_team(team, member):
            db.session.add(TeamMember(team_id=team.id, member_id=member.id))
        team.leader_id = member.id
        db.session.flush()
        record("grid.team_leader_set", actor.user, team=team.id, member=member.id)
    return team
