"""Matching imported residents to buildings of the community's grid (tenants.grid): the
building directory onboarding asks for (``hooks.register_buildings``)."""

from sqlalchemy import select

from core.extensions import db
from tenants.grid.models import Building, Residence


def buildings(community_id) -> dict:
    """``{building name, lower-case: id}``; empty while the community has no grid."""
    rows = db.session.execute(select(Building.name, Building.id).where(Building.community_id == community_id))
    return {name.strip().lower(): building_id for name, building_id in rows}


def assign(member, building_id) -> None:
    """The resident lives in the building; runs inside the import's transaction (the grid's
    ``do_attach_resident`` commits on its own, so the row is added here)."""
    db.session.add(Residence(community_id=member.community_id, member_id=member.id,
                             building_id=building_id, unit=""))
