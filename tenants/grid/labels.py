"""Words for the grid's enums, in the reader's language."""

from flask_babel import lazy_gettext as _l

from tenants.grid.models import StaffRole, TeamRole

STAFF_ROLES = {
    StaffRole.WORKER: _l("Grid worker"),
    StaffRole.HEAD: _l("Grid head"),
}

TEAM_ROLES = {
    TeamRole.ENVIRONMENT: _l("Environment inspector"),
    TeamRole.SAFETY: _l("Safety inspector"),
    TeamRole.MEDIATION: _l("Dispute mediator"),
    TeamRole.BUILDING_GUARD: _l("Building guard"),
    TeamRole.CARE: _l("Helper for vulnerable people"),
}


def staff_role_label(role) -> str:
    return str(STAFF_ROLES.get(StaffRole(role), role)) if role else ""


def team_role_label(role) -> str:
    return str(TEAM_ROLES.get(TeamRole(role), role)) if role else ""
