"""Demo data for `make run`: two districts, three communities, staff and residents of each
account kind, and (from the merchants' own step) two merchants.

Capabilities add their own demo data with ``demo_step`` (rules, shop items, offers...), run
in registration order after the base.
"""

import click
from sqlalchemy import select

from core.extensions import db
from core.identity.models import AccountKind, Role, User

DEMO_PASSWORD = "demo1234"

DISTRICTS = [
    ("heping", "和平街道", [("xinhua", "新华社区"), ("wuyi", "五一社区")]),
    ("jinjiang", "锦江区", [("shuijing", "水井坊社区")]),
]

# (login suffix, name, role, account kind)
PEOPLE = [
    ("admin", "社区管理员", Role.ADMIN, AccountKind.RED),
    ("grid", "网格员小李", Role.GRID_WORKER, AccountKind.RED),
    ("red", "党员王阿姨", Role.RESIDENT, AccountKind.RED),
    ("blue", "居民陈大爷", Role.RESIDENT, AccountKind.BLUE),
    ("green", "楼栋长赵师傅", Role.RESIDENT, AccountKind.GREEN),
]

_steps = []


def demo_step(fn):
    """Register ``fn(context)``; ``context`` has ``communities`` (slug -> Community),
    ``users`` (login -> User), ``districts`` and ``logins`` (list of (login, what) to print)."""
    if fn not in _steps:  # idempotent: init_app runs once per app created
        _steps.append(fn)
    return fn


def load_demo(if_empty: bool = False) -> dict | None:
    from core.districts.actions import (
        do_create_community,
        do_create_district,
        do_create_district_admin,
    )
    from core.identity.actions import do_add_member, do_create_user
    from core.tenancy.context import TenantScope, scoped
    from core.transactions import atomic

    if if_empty and db.session.scalar(select(User.id).limit(1)):
        click.echo("demo: the database already has users; nothing loaded")
        return None
    ctx = {"communities": {}, "users": {}, "districts": {}, "logins": []}
    with atomic():
        admin = do_create_user("admin", DEMO_PASSWORD, "平台管理员", platform_admin=True)
    ctx["users"]["admin"] = admin
    ctx["logins"].append(("admin", "platform admin"))
    for district_slug, district_name, communities in DISTRICTS:
        district = do_create_district(district_slug, district_name, admin)
        ctx["districts"][district_slug] = district
        login = f"{district_slug}-admin"
        ctx["users"][login] = do_create_district_admin(district, login, DEMO_PASSWORD, f"{district_name}管理员", admin)
        ctx["logins"].append((login, f"district admin, {district_slug}"))
        for slug, name in communities:
            first_admin = {"login": f"{slug}-admin", "password": DEMO_PASSWORD, "name": f"{name}管理员"}
            community = do_create_community(district, slug=slug, name=name, admin=first_admin, actor=admin)
            ctx["communities"][slug] = community
            ctx["logins"].append((first_admin["login"], f"community admin, {slug}"))
            with scoped(TenantScope(community_id=community.id)), atomic():
                for suffix, person, role, kind in PEOPLE[1:]:
                    login = f"{slug}-{suffix}"
                    user = do_create_user(login, DEMO_PASSWORD, person, actor=admin)
                    do_add_member(community, user, role, account_kind=kind, actor=admin)
                    ctx["users"][login] = user
                    ctx["logins"].append((login, f"{role.value} ({kind.value}), {slug}"))
    for step in _steps:
        step(ctx)
    _print_logins(ctx["logins"])
    return ctx


def _print_logins(logins) -> None:
    click.echo("")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for login, what in logins:
        click.echo(f"  {login:<22} {what}")
    click.echo("")
