"""The grid's JSON API under /api/v1/c/<community>: staff read, the community admin writes.
Ids in bodies are checked inside the community (unknown → 422 naming the field); ids in
paths of another community answer 404."""

from flask import g
from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from core.api.framework import ApiError, community_api_blueprint, not_found, require_role
from core.errors import ActionError
from core.identity.models import Role
from core.tenancy.access import NotFound
from tenants.grid import actions, queries
from tenants.grid.access import access_building, access_grid, access_team, member_in_community
from tenants.grid.models import StaffRole, TeamRole

blp = community_api_blueprint("api_grid", __name__, "", description="Grids, buildings and volunteer teams")


def _path(fn, row_id):
    try:
        return fn(g.actor, row_id)
    except NotFound as exc:
        raise not_found() from exc


def _body(fn, row_id, field):
    try:
        return fn(g.actor, row_id)
    except NotFound as exc:
        raise ApiError(422, "invalid", _("Some fields are not valid."),
                       errors={field: [_("Unknown in this community.")]}) from exc


def _run(action, *args, **kwargs):
    try:
        return action(g.actor, *args, **kwargs)
    except ActionError as exc:
        raise exc.to_api() from exc


class GridIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    parent = fields.UUID(load_default=None, allow_none=True)
    note = fields.String(load_default="", validate=validate.Length(max=300))


class GridStaffOut(Schema):
    member = fields.UUID(attribute="member_id")
    name = fields.Function(lambda s: s.member.name)
    role = fields.Function(lambda s: s.role.value)


class GridOut(Schema):
    id = fields.UUID()
    name = fields.String()
    parent = fields.UUID(attribute="parent_id", allow_none=True)
    note = fields.String()


class GridDetailOut(GridOut):
    staff = fields.Function(lambda grid: GridStaffOut(many=True).dump(queries.staff_of(grid.id)))
    buildings = fields.Function(lambda grid: [str(b.id) for b in queries.buildings(grid.id)])


class GridList(Schema):
    items = fields.List(fields.Nested(GridOut))
    next_cursor = fields.String(allow_none=True)


class GridStaffIn(Schema):
    member = fields.UUID(required=True)
    role = fields.String(load_default="worker", validate=validate.OneOf([r.value for r in StaffRole]))


class BuildingIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    grid = fields.UUID(required=True)
    address = fields.String(load_default="", validate=validate.Length(max=200))


class BuildingResidentOut(Schema):
    member = fields.UUID(attribute="member_id")
    name = fields.Function(lambda r: r.member.name)
    unit = fields.String()


class BuildingOut(Schema):
    id = fields.UUID()
    name = fields.String()
    grid = fields.UUID(attribute="grid_id")
    address = fields.String()


class BuildingDetailOut(BuildingOut):
    residents = fields.Function(lambda b: BuildingResidentOut(many=True).dump(queries.residents_of(b.id)))


class BuildingList(Schema):
    items = fields.List(fields.Nested(BuildingOut))
    next_cursor = fields.String(allow_none=True)


class BuildingResidentIn(Schema):
    member = fields.UUID(required=True)
    unit = fields.String(load_default="", validate=validate.Length(max=40))


class TeamIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    role = fields.String(load_default=None, allow_none=True,
                         validate=validate.OneOf([r.value for r in TeamRole]))
    grid = fields.UUID(load_default=None, allow_none=True)


class TeamOut(Schema):
    id = fields.UUID()
    name = fields.String()
    role = fields.Function(lambda t: t.role.value if t.role else None)
    grid = fields.UUID(attribute="grid_id", allow_none=True)
    leader = fields.UUID(attribute="leader_id", allow_none=True)


class TeamMemberOut(Schema):
    id = fields.UUID()
    name = fields.String()
    number = fields.Integer()


class TeamDetailOut(TeamOut):
    members = fields.Function(lambda t: TeamMemberOut(many=True).dump(queries.team_members(t.id)))


class TeamList(Schema):
    items = fields.List(fields.Nested(TeamOut))
    next_cursor = fields.String(allow_none=True)


class TeamMemberIn(Schema):
    member = fields.UUID(required=True)


# --- grids -------------------------------------------------------------------------------------


@blp.route("/grids")
class Grids(MethodView):
    @blp.response(200, GridList)
    def get(self):
        """The community's grids and micro-grids (staff)."""
        require_role(Role.GRID_WORKER)
        return {"items": queries.all_grids(), "next_cursor": None}

    @blp.arguments(GridIn)
    @blp.response(201, GridDetailOut)
    def post(self, body):
        """Create a grid, or a micro-grid with ``parent`` (community admin)."""
        require_role(Role.ADMIN)
        parent = _body(access_grid, body["parent"], "parent") if body["parent"] else None
        return _run(actions.do_create_grid, name=body["name"], parent=parent, note=body["note"])


@blp.route("/grids/<grid_id>")
class GridDetail(MethodView):
    @blp.response(200, GridDetailOut)
    def get(self, grid_id):
        """A grid with its staff and buildings (staff)."""
        require_role(Role.GRID_WORKER)
        return _path(access_grid, grid_id)


@blp.route("/grids/<grid_id>/staff")
class GridStaffList(MethodView):
    @blp.arguments(GridStaffIn)
    @blp.response(201, GridStaffOut)
    def post(self, body, grid_id):
        """Assign a grid worker or grid head (community admin)."""
        require_role(Role.ADMIN)
        grid = _path(access_grid, grid_id)
        member = _body(member_in_community, body["member"], "member")
        return _run(actions.do_assign_staff, grid, member, StaffRole(body["role"]))


@blp.route("/grids/<grid_id>/staff/<member_id>")
class GridStaffMember(MethodView):
    @blp.response(204)
    def delete(self, grid_id, member_id):
        """Unassign a person from the grid (community admin)."""
        require_role(Role.ADMIN)
        grid = _path(access_grid, grid_id)
        member = _path(member_in_community, member_id)
        _run(actions.do_unassign_staff, grid, member)


# --- buildings ------------------------------------------------------------------------------------


@blp.route("/buildings")
class Buildings(MethodView):
    @blp.response(200, BuildingList)
    def get(self):
        """Every building, with its grid (staff)."""
        require_role(Role.GRID_WORKER)
        return {"items": queries.buildings(), "next_cursor": None}

    @blp.arguments(BuildingIn)
    @blp.response(201, BuildingDetailOut)
    def post(self, body):
        """Create a building in a grid or micro-grid (community admin)."""
        require_role(Role.ADMIN)
        grid = _body(access_grid, body["grid"], "grid")
        return _run(actions.do_create_building, name=body["name"], grid=grid, address=body["address"])


@blp.route("/buildings/<building_id>")
class BuildingDetail(MethodView):
    @blp.response(200, BuildingDetailOut)
    def get(self, building_id):
        """A building and its residents (staff)."""
        require_role(Role.GRID_WORKER)
        return _path(access_building, building_id)


@blp.route("/buildings/<building_id>/residents")
class BuildingResidents(MethodView):
    @blp.arguments(BuildingResidentIn)
    @blp.response(201, BuildingResidentOut)
    def post(self, body, building_id):
        """Attach a resident to the building; one who lived elsewhere moves (community admin)."""
        require_role(Role.ADMIN)
        building = _path(access_building, building_id)
        member = _body(member_in_community, body["member"], "member")
        return _run(actions.do_attach_resident, building, member, body["unit"])


@blp.route("/buildings/<building_id>/residents/<member_id>")
class BuildingResident(MethodView):
    @blp.response(204)
    def delete(self, building_id, member_id):
        """Detach a resident from the building (community admin)."""
        require_role(Role.ADMIN)
        building = _path(access_building, building_id)
        member = _path(member_in_community, member_id)
        residence = queries.residence_of(member.id)
        if residence is None or residence.building_id != building.id:
            raise ApiError(409, "not_attached", _("This person does not live here."))
        _run(actions.do_detach_resident, member)


# --- teams -------------------------------------------------------------------------------------


@blp.route("/teams")
class Teams(MethodView):
    @blp.response(200, TeamList)
    def get(self):
        """Volunteer teams (staff)."""
        require_role(Role.GRID_WORKER)
        return {"items": queries.teams(), "next_cursor": None}

    @blp.arguments(TeamIn)
    @blp.response(201, TeamDetailOut)
    def post(self, body):
        """Create a volunteer team, optionally one of the five standing roles (community admin)."""
        require_role(Role.ADMIN)
        grid = _body(access_grid, body["grid"], "grid") if body["grid"] else None
        role = TeamRole(body["role"]) if body["role"] else None
        return _run(actions.do_create_team, name=body["name"], role=role, grid=grid)


@blp.route("/teams/<team_id>")
class TeamDetail(MethodView):
    @blp.response(200, TeamDetailOut)
    def get(self, team_id):
        """A team with its members and leader (staff)."""
        require_role(Role.GRID_WORKER)
        return _path(access_team, team_id)


@blp.route("/teams/<team_id>/members")
class TeamMembers(MethodView):
    @blp.arguments(TeamMemberIn)
    @blp.response(201, TeamDetailOut)
    def post(self, body, team_id):
        """Add a member to the team (community admin)."""
        require_role(Role.ADMIN)
        team = _path(access_team, team_id)
        member = _body(member_in_community, body["member"], "member")
        _run(actions.do_add_team_member, team, member)
        return team


@blp.route("/teams/<team_id>/members/<member_id>")
class TeamMemberDetail(MethodView):
    @blp.response(204)
    def delete(self, team_id, member_id):
        """Remove a member from the team (community admin)."""
        require_role(Role.ADMIN)
        team = _path(access_team, team_id)
        member = _path(member_in_community, member_id)
        _run(actions.do_remove_team_member, team, member)


@blp.route("/teams/<team_id>/leader")
class TeamLeader(MethodView):
    @blp.arguments(TeamMemberIn)
    @blp.response(200, TeamDetailOut)
    def put(self, body, team_id):
        """Make a person the team's leader, adding them to the team (community admin)."""
        require_role(Role.ADMIN)
        team = _path(access_team, team_id)
        member = _body(member_in_community, body["member"], "member")
        return _run(actions.do_set_team_leader, team, member)
