"""Who may read which figures: a district's admins (and platform admins) read its
communities; a community's admins read their own. Anything else is "not found"."""

from sqlalchemy import select

from core.extensions import db
from core.identity.models import Member, Role
from core.tenancy.access import NotFound, administers_district, community_by_slug, district_for
from core.tenancy.context import use_community
from core.tenancy.models import Community, District


def district_communities(district: District) -> list[Community]:
    """The district's communities, by name. ``communities`` is a global table; every figure
    about them is then read with ``all_communities()`` filtered by exactly these ids."""
    return list(db.session.scalars(
        select(Community).where(Community.district_id == district.id).order_by(Community.name)))


def district_of(user, slug) -> District | None:
    try:
        return district_for(slug, user)
    except NotFound:
        return None


def community_for_admin(user, slug) -> Community | None:
    """The community, if ``user`` administers it (its admin, or its district's); else None."""
    community = community_by_slug(slug)
    if community is None or user is None or not user.is_authenticated:
        return None
    if administers_district(user, community.district_id):
        return community
    with use_community(community.id):
        member = db.session.scalar(select(Member).where(
            Member.community_id == community.id, Member.user_id == user.id, Member.active.is_(True)))
        allowed = member is not None and member.role == Role.ADMIN
    return community if allowed else None
