"""Access to grid rows: the id is looked up inside the actor's community, and "missing",
"another community's" and "not for you" all answer ``NotFound`` (a 404). The grid's pages
are staff pages: residents see none of these rows."""

from sqlalchemy import select

from core.extensions import db
from core.identity.models import Member
from core.ids import parse_id
from core.tenancy.access import NotFound
from tenants.grid.models import Building, Grid, Team


def _get(actor, model, row_id, staff_only=True):
    row_id = parse_id(row_id)
    if row_id is None or (staff_only and not actor.is_staff):
        raise NotFound(row_id)
    row = db.session.scalar(
        select(model).where(model.id == row_id, model.community_id == actor.community.id)
    )
    if row is None:
        raise NotFound(row_id)
    return row


def access_grid(actor, grid_id) -> Grid:
    return _get(actor, Grid, grid_id)


def access_building(actor, building_id) -> Building:
    return _get(actor, Building, building_id)


def access_team(actor, team_id, *, staff_only=True) -> Team:
    """Residents may read a team (an activity limited to it names it) with staff_only=False."""
    return _get(actor, Team, team_id, staff_only=staff_only)


def member_in_community(actor, member_id) -> Member:
    """Any active member of the actor's community, for staff choosing a person (a body's id
    is never trusted without this)."""
    member_id = parse_id(member_id)
    member = member_id and db.session.scalar(
        select(Member).where(
            Member.id == member_id, Member.community_id == actor.community.id,
            Member.active.is_(True),
        )
    )
    if member is None:
        raise NotFound(member_id)
    return member
