"""Admin pages for the grid (desktop-first tables). Grid workers may read them; changes are
the community admin's. Each change posts to its own URL and comes back to the page."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.errors import ActionError
from core.identity.models import Role
from core.tenancy.access import NotFound
from core.web.community import community_blueprint, require_role
from tenants.grid import actions, queries
from tenants.grid.access import access_building, access_grid, access_team, member_in_community
from tenants.grid.forms import (
    BuildingForm,
    GridEditForm,
    GridForm,
    MemberForm,
    MoveBuildingForm,
    ResidentForm,
    StaffForm,
    TeamForm,
    member_choices,
)
from tenants.grid.labels import staff_role_label, team_role_label
from tenants.grid.models import StaffRole, TeamRole

bp = community_blueprint("grid", __name__, "/grid")


@bp.context_processor
def _labels():
    return {"staff_role_label": staff_role_label, "team_role_label": team_role_label}


def _found(fn, *args, **kwargs):
    try:
        return fn(g.actor, *args, **kwargs)
    except NotFound:
        abort(404)


def _member(form_field):
    try:
        return member_in_community(g.actor, form_field.data)
    except NotFound:
        form_field.errors = list(form_field.errors) + [_("Choose a person from the list.")]
        return None


def _grid_choices(blank=None, top_only=False):
    grids = queries.top_grids() if top_only else queries.all_grids()
    choices = [(str(x.id), x.name) for x in grids]
    return ([("", blank)] if blank else []) + choices


def _apply(action, *args, **kwargs):
    """Run an action; a refusal comes back as (None, error) for the page to show."""
    try:
        return action(g.actor, *args, **kwargs), None
    except ActionError as exc:
        return None, exc


# --- grids ------------------------------------------------------------------------------------


def _grids_page(form, error=None, status=200):
    return render_template("tenants/grid/grids.html", rows=queries.grid_rows(), form=form,
                           error=error, can_manage=g.actor.can(Role.ADMIN)), status


def _grid_form():
    form = GridForm()
    form.parent.choices = _grid_choices(blank=_("None (a grid)"), top_only=True)
    return form


@bp.route("/", methods=["GET", "POST"])
def grids():
    if request.method == "POST":
        return create_grid()
    require_role(Role.GRID_WORKER)
    return _grids_page(_grid_form())


def create_grid():
    require_role(Role.ADMIN)
    form = _grid_form()
    if not form.validate_on_submit():
        return _grids_page(form, status=422)
    parent = _found(access_grid, form.parent.data) if form.parent.data else None
    grid, error = _apply(actions.do_create_grid, name=form.name.data, parent=parent, note=form.note.data)
    if error:
        return _grids_page(form, error.message, error.status)
    flash(_("Grid %(name)s created.", name=grid.name), "success")
    return redirect(url_for("grid.grids"))


def _grid_page(grid, *, edit=None, staff=None, error=None, status=200):
    edit = edit or GridEditForm(obj=grid)
    staff = staff or StaffForm()
    staff.member.choices = member_choices(queries.staff_members())
    return render_template(
        "tenants/grid/grid.html", grid=grid, edit=edit, staff_form=staff,
        staff=queries.staff_of(grid.id), buildings=queries.buildings(grid.id),
        micro=queries.micro_grids(grid.id), parent=grid.parent_id and _found(access_grid, grid.parent_id),
        error=error, can_manage=g.actor.can(Role.ADMIN),
    ), status


@bp.route("/<grid_id>", methods=["GET", "POST"])
def grid(grid_id):
    if request.method == "POST":
        return update_grid(grid_id)
    require_role(Role.GRID_WORKER)
    return _grid_page(_found(access_grid, grid_id))


def update_grid(grid_id):
    require_role(Role.ADMIN)
    grid = _found(access_grid, grid_id)
    form = GridEditForm()
    if not form.validate_on_submit():
        return _grid_page(grid, edit=form, status=422)
    _done, error = _apply(actions.do_update_grid, grid, name=form.name.data, note=form.note.data)
    if error:
        return _grid_page(grid, edit=form, error=error.message, status=error.status)
    flash(_("Saved."), "success")
    return redirect(url_for("grid.grid", grid_id=grid.id))


@bp.post("/<grid_id>/staff")
def assign_staff(grid_id):
    require_role(Role.ADMIN)
    grid = _found(access_grid, grid_id)
    form = StaffForm()
    form.member.choices = member_choices(queries.staff_members())
    if not form.validate_on_submit():
        return _grid_page(grid, staff=form, status=422)
    member = _member(form.member)
    if member is None:
        return _grid_page(grid, staff=form, status=422)
    _done, error = _apply(actions.do_assign_staff, grid, member, StaffRole(form.role.data))
    if error:
        return _grid_page(grid, staff=form, error=error.message, status=error.status)
    flash(_("%(name)s assigned.", name=member.name), "success")
    return redirect(url_for("grid.grid", grid_id=grid.id))


@bp.post("/<grid_id>/staff/remove")
def unassign_staff(grid_id):
    require_role(Role.ADMIN)
    grid = _found(access_grid, grid_id)
    form = MemberForm()
    form.member.choices = member_choices(queries.staff_members())
    member = _member(form.member) if form.validate_on_submit() else None
    if member is None:
        return _grid_page(grid, status=422, error=_("Choose a person from the list."))
    _done, error = _apply(actions.do_unassign_staff, grid, member)
    if error:
        return _grid_page(grid, error=error.message, status=error.status)
    flash(_("%(name)s no longer looks after this grid.", name=member.name), "success")
    return redirect(url_for("grid.grid", grid_id=grid.id))


# --- buildings ----------------------------------------------------------------------------------


def _building_form(form=None):
    form = form or BuildingForm()
    form.grid.choices = _grid_choices()
    return form


def _buildings_page(form=None, error=None, status=200):
    return render_template(
        "tenants/grid/buildings.html", buildings=queries.buildings(), counts=queries.building_counts(),
        form=_building_form(form), error=error, can_manage=g.actor.can(Role.ADMIN),
    ), status


@bp.route("/buildings", methods=["GET", "POST"])
def buildings():
    if request.method == "POST":
        return create_building()
    require_role(Role.GRID_WORKER)
    return _buildings_page()


def create_building():
    require_role(Role.ADMIN)
    form = _building_form()
    if not form.validate_on_submit():
        return _buildings_page(form, status=422)
    grid = _found(access_grid, form.grid.data)
    building, error = _apply(actions.do_create_building, name=form.name.data, grid=grid,
                             address=form.address.data)
    if error:
        return _buildings_page(form, error.message, error.status)
    flash(_("Building %(name)s created.", name=building.name), "success")
    return redirect(url_for("grid.buildings"))


def _building_page(building, *, resident=None, move=None, error=None, status=200):
    resident = resident or ResidentForm()
    resident.member.choices = member_choices(queries.active_members())
    move = move or MoveBuildingForm(grid=str(building.grid_id))
    move.grid.choices = _grid_choices()
    return render_template(
        "tenants/grid/building.html", building=building, residents=queries.residents_of(building.id),
        resident_form=resident, move_form=move, error=error, can_manage=g.actor.can(Role.ADMIN),
    ), status


@bp.get("/buildings/<building_id>")
def building(building_id):
    require_role(Role.GRID_WORKER)
    return _building_page(_found(access_building, building_id))


@bp.post("/buildings/<building_id>/residents")
def attach_resident(building_id):
    require_role(Role.ADMIN)
    building = _found(access_building, building_id)
    form = ResidentForm()
    form.member.choices = member_choices(queries.active_members())
    member = _member(form.member) if form.validate_on_submit() else None
    if member is None:
        return _building_page(building, resident=form, status=422)
    _done, error = _apply(actions.do_attach_resident, building, member, form.unit.data or "")
    if error:
        return _building_page(building, resident=form, error=error.message, status=error.status)
    flash(_("%(name)s now lives in %(building)s.", name=member.name, building=building.name), "success")
    return redirect(url_for("grid.building", building_id=building.id))


@bp.post("/buildings/<building_id>/residents/remove")
def detach_resident(building_id):
    require_role(Role.ADMIN)
    building = _found(access_building, building_id)
    form = MemberForm()
    form.member.choices = member_choices(queries.active_members())
    member = _member(form.member) if form.validate_on_submit() else None
    residence = member and queries.residence_of(member.id)
    if residence is None or residence.building_id != building.id:
        return _building_page(building, status=422, error=_("This person does not live here."))
    _done, error = _apply(actions.do_detach_resident, member)
    if error:
        return _building_page(building, error=error.message, status=error.status)
    flash(_("%(name)s removed from this building.", name=member.name), "success")
    return redirect(url_for("grid.building", building_id=building.id))


@bp.post("/buildings/<building_id>/grid")
def move_building(building_id):
    require_role(Role.ADMIN)
    building = _found(access_building, building_id)
    form = MoveBuildingForm()
    form.grid.choices = _grid_choices()
    if not form.validate_on_submit():
        return _building_page(building, move=form, status=422)
    grid = _found(access_grid, form.grid.data)
    actions.do_move_building(g.actor, building, grid)
    flash(_("Saved."), "success")
    return redirect(url_for("grid.building", building_id=building.id))


# --- teams -----------------------------------------------------------------------------------------


def _team_form(form=None):
    form = form or TeamForm()
    form.grid.choices = _grid_choices(blank=_("Whole community"))
    return form


def _teams_page(form=None, error=None, status=200):
    return render_template(
        "tenants/grid/teams.html", teams=queries.teams(), sizes=queries.team_sizes(),
        form=_team_form(form), error=error, can_manage=g.actor.can(Role.ADMIN),
    ), status


@bp.route("/teams", methods=["GET", "POST"])
def teams():
    if request.method == "POST":
        return create_team()
    require_role(Role.GRID_WORKER)
    return _teams_page()


def create_team():
    require_role(Role.ADMIN)
    form = _team_form()
    if not form.validate_on_submit():
        return _teams_page(form, status=422)
    grid = _found(access_grid, form.grid.data) if form.grid.data else None
    role = TeamRole(form.role.data) if form.role.data else None
    team, error = _apply(actions.do_create_team, name=form.name.data, role=role, grid=grid)
    if error:
        return _teams_page(form, error.message, error.status)
    flash(_("Team %(name)s created.", name=team.name), "success")
    return redirect(url_for("grid.team", team_id=team.id))


def _team_page(team, *, add=None, error=None, status=200):
    add = add or MemberForm()
    add.member.choices = member_choices(queries.active_members())
    return render_template(
        "tenants/grid/team.html", team=team, members=queries.team_members(team.id), add_form=add,
        error=error, can_manage=g.actor.can(Role.ADMIN),
    ), status


@bp.get("/teams/<team_id>")
def team(team_id):
    require_role(Role.GRID_WORKER)
    return _team_page(_found(access_team, team_id))


def _team_member_change(team_id, action, done_message):
    require_role(Role.ADMIN)
    team = _found(access_team, team_id)
    form = MemberForm()
    form.member.choices = member_choices(queries.active_members())
    member = _member(form.member) if form.validate_on_submit() else None
    if member is None:
        return _team_page(team, add=form, status=422)
    _done, error = _apply(action, team, member)
    if error:
        return _team_page(team, add=form, error=error.message, status=error.status)
    flash(done_message(member), "success")
    return redirect(url_for("grid.team", team_id=team.id))


@bp.post("/teams/<team_id>/members")
def add_team_member(team_id):
    return _team_member_change(team_id, actions.do_add_team_member,
                               lambda m: _("%(name)s joined the team.", name=m.name))


@bp.post("/teams/<team_id>/members/remove")
def remove_team_member(team_id):
    return _team_member_change(team_id, actions.do_remove_team_member,
                               lambda m: _("%(name)s left the team.", name=m.name))


@bp.post("/teams/<team_id>/leader")
def set_team_leader(team_id):
    return _team_member_change(team_id, actions.do_set_team_leader,
                               lambda m: _("%(name)s now leads the team.", name=m.name))
