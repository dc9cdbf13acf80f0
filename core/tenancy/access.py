"""Who may act in a community, and as what.

Not a member (or no such community): the caller gets the same "not found" either way, so a
slug never reveals a community. A member without the role gets "forbidden".
"""

from dataclasses import dataclass

from sqlalchemy import select

from core.extensions import db
from core.identity.models import ROLE_RANK, DistrictAdmin, Member, Role, User
from core.ids import parse_id
from core.tenancy.context import TenantScope, all_communities, set_scope
from core.tenancy.models import Community, District


class NotFound(Exception):
    """Missing, or another tenant's: the two are never told apart."""


class Forbidden(Exception):
    """The actor is known here but lacks the role."""


@dataclass
class Actor:
    user: User
    community: Community
    member: Member | None  # None for district and platform admins acting as admin
    role: Role

    def can(self, role: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    @property
    def is_staff(self) -> bool:
        return self.can(Role.GRID_WORKER)


def community_by_slug(slug: str) -> Community | None:
    if not isinstance(slug, str) or len(slug) > 40:
        return None
    return db.session.scalar(select(Community).where(Community.slug == slug))


def administers_district(user: User, district_id) -> bool:
    if user.is_platform_admin:
        return True
    return bool(
        db.session.scalar(
            select(DistrictAdmin.id).where(
                DistrictAdmin.user_id == user.id, DistrictAdmin.district_id == district_id
            )
        )
    )


def district_for(slug: str, user: User) -> District:
    """The district, if ``user`` administers it; else NotFound."""
    district = db.session.scalar(select(District).where(District.slug == slug))
    if district is None or not administers_district(user, district.id):
        raise NotFound(slug)
    return district


def enter_community(slug: str, user: User, min_role: Role = Role.RESIDENT) -> Actor:
    """Resolve the community in the URL for ``user`` and scope the request to it."""
    community = community_by_slug(slug)
    if community is None or user is None or not user.is_authenticated:
        raise NotFound(slug)
    set_scope(TenantScope(community_id=community.id))
    member = db.session.scalar(
        select(Member).where(Member.user_id == user.id, Member.active.is_(True))
    )
    if member is not None:
        actor = Actor(user, community, member, member.role)
    elif administers_district(user, community.district_id):
        actor = Actor(user, community, None, Role.ADMIN)
    else:
        set_scope(TenantScope())
        raise NotFound(slug)
    if not actor.can(min_role):
        raise Forbidden(slug)
    return actor


def communities_of(user: User) -> list[Community]:
    """Every community the user is a member of (a cross-community read, by design)."""
    with all_communities():
        query = (
            select(Community)
            .join(Member, Member.community_id == Community.id)
            .where(Member.user_id == user.id, Member.active.is_(True))
            .order_by(Community.name)
        )
        return list(db.session.scalars(query))


def access_member(actor: Actor, member_id) -> Member:
    """A member of the actor's community: staff see anyone, residents only themselves."""
    member_id = parse_id(member_id)
    member = member_id and db.session.scalar(
        select(Member).where(Member.id == member_id, Member.community_id == actor.community.id)
    )
    if member is None:
        raise NotFound(member_id)
    if not actor.is_staff and (actor.member is None or actor.member.id != member.id):
        raise NotFound(member_id)
    return member
