"""Creating districts, their admins, and communities with their first admin."""

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import get_currency_name
from sqlalchemy import select

from core.audit.actions import record
from core.extensions import db
from core.identity.actions import (
    IdentityError,
    do_add_district_admin,
    do_add_member,
    do_create_user,
)
from core.identity.models import AccountKind, Role
from core.tenancy.context import TenantScope, scoped
from core.tenancy.models import SLUG_PATTERN, Community, District
from core.transactions import atomic

# Capabilities that set a new community up (rules copied from the district's templates,
# ledger accounts...) register here from their init_app: core never imports them.
_community_setup_hooks = []


def on_community_created(hook):
    if hook not in _community_setup_hooks:  # idempotent: init_app runs once per app created
        _community_setup_hooks.append(hook)
    return hook


def valid_slug(slug: str) -> bool:
    return isinstance(slug, str) and re.fullmatch(SLUG_PATTERN, slug) is not None


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return False
    return True


def valid_currency(code: str) -> bool:
    if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{3}", code):
        return False
    try:
        return get_currency_name(code, locale="en") != code
    except Exception:
        return False


def do_create_district(slug: str, name: str, actor) -> District:
    if db.session.scalar(select(District.id).where(District.slug == slug)):
        raise IdentityError("slug_taken", "slug_taken", field="slug")
    with atomic():
        district = District(slug=slug, name=name)
        db.session.add(district)
        db.session.flush()
        record("district.created", actor, district=district.id, slug=slug)
    return district


def do_create_district_admin(district: District, login, password, name, actor):
    with atomic():
        user = do_create_user(login, password, name, actor=actor)
        do_add_district_admin(district, user, actor)
    return user


def do_create_community(
    district: District, *, slug, name, timezone="Asia/Shanghai", currency="CNY", admin, actor
) -> Community:
    """Create the community, its first admin, and run the setup hooks, in one transaction."""
    if db.session.scalar(select(Community.id).where(Community.slug == slug)):
        raise IdentityError("slug_taken", "slug_taken", field="slug")
    with atomic():
        community = Community(
            slug=slug, name=name, district_id=district.id, timezone=timezone, currency=currency,
            settings={},
        )
        db.session.add(community)
        db.session.flush()
        with scoped(TenantScope(community_id=community.id)):
            user = do_create_user(admin["login"], admin["password"], admin["name"], actor=actor)
            do_add_member(community, user, Role.ADMIN, account_kind=AccountKind.BLUE, actor=actor)
            for hook in _community_setup_hooks:
                hook(community, district, actor)
            record("community.created", actor, community_id=community.id, slug=slug,
                   district=district.id)
    return community
