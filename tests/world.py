"""The test world: every test is a multi-tenant test.

- district ``d1`` with community ``c1``; district ``d2`` with community ``c2``; ``c3`` in d1;
- per community: ``<c>_admin``, ``<c>_grid``, residents ``<c>_red``, ``<c>_blue``, ``<c>_green``;
- ``d1_admin``, ``d2_admin`` (district admins), ``platform`` (platform admin);
- merchant ``m1`` (owner ``m1_owner``, staff ``m1_staff``) serving c1 and c2, and merchant
  ``m2`` (owner ``m2_owner``) serving c2.

Capabilities extend the world with ``world_step`` (rules, partnerships, shop items...).
"""

from dataclasses import dataclass, field

from core.identity.models import AccountKind, Role

PASSWORD = "world-pass-1"

_steps = []


def world_step(fn):
    if fn not in _steps:
        _steps.append(fn)
    return fn


@dataclass
class World:
    ids: dict = field(default_factory=dict)      # name -> uuid (communities, districts, merchants, members, users)
    slugs: dict = field(default_factory=dict)    # name -> slug
    tokens: dict = field(default_factory=dict)   # user name -> bearer token
    extra: dict = field(default_factory=dict)    # what capabilities add

    def community(self, name):
        from core.extensions import db
        from core.tenancy.models import Community

        return db.session.get(Community, self.ids[name])

    def member_id(self, name):
        return self.ids[f"member:{name}"]


PEOPLE = [
    ("grid", Role.GRID_WORKER, AccountKind.RED),
    ("red", Role.RESIDENT, AccountKind.RED),
    ("blue", Role.RESIDENT, AccountKind.BLUE),
    ("green", Role.RESIDENT, AccountKind.GREEN),
]


def build_world() -> World:
    from sqlalchemy import select

    from core.districts.actions import (
        do_create_community,
        do_create_district,
        do_create_district_admin,
    )
    from core.extensions import db
    from core.identity.actions import do_add_member, do_create_user, do_issue_token
    from core.identity.models import Member
    from core.tenancy.context import use_community
    from core.transactions import atomic
    from merchants.partners.actions import do_add_merchant_user, do_create_merchant
    from merchants.partners.models import MerchantRole

    w = World()
    with atomic():
        platform = do_create_user("platform", PASSWORD, "Platform", platform_admin=True)
    users = {"platform": platform}
    districts = {}
    for name in ("d1", "d2"):
        districts[name] = do_create_district(f"dist-{name}", f"District {name}", platform)
        users[f"{name}_admin"] = do_create_district_admin(districts[name], f"{name}_admin", PASSWORD, f"{name} admin", platform)
        w.ids[name], w.slugs[name] = districts[name].id, districts[name].slug
    for name, district in (("c1", "d1"), ("c2", "d2"), ("c3", "d1")):
        community = do_create_community(
            districts[district], slug=f"comm-{name}", name=f"Community {name}",
            admin={"login": f"{name}_admin", "password": PASSWORD, "name": f"{name} admin"}, actor=platform,
        )
        w.ids[name], w.slugs[name] = community.id, community.slug
        with use_community(community.id):
            admin_member = db.session.scalar(select(Member).where(Member.role == Role.ADMIN))
            w.ids[f"member:{name}_admin"] = admin_member.id
            users[f"{name}_admin"] = admin_member.user
            with atomic():
                for suffix, role, kind in PEOPLE:
                    login = f"{name}_{suffix}"
                    user = do_create_user(login, PASSWORD, f"{name} {suffix} person", phone=None, actor=platform)
                    member = do_add_member(community, user, role, account_kind=kind, actor=platform)
                    users[login] = user
                    w.ids[f"member:{login}"] = member.id
    for name, partners in (("m1", ("c1", "c2")), ("m2", ("c2",))):
        merchant = do_create_merchant(
            f"merch-{name}", f"Merchant {name}",
            {"login": f"{name}_owner", "password": PASSWORD, "name": f"{name} owner"}, platform,
        )
        w.ids[name], w.slugs[name] = merchant.id, merchant.slug
        w.extra[f"{name}_partners"] = partners
        from core.identity.actions import find_user_by_login

        users[f"{name}_owner"] = find_user_by_login(f"{name}_owner")
    with atomic():
        staff = do_create_user("m1_staff", PASSWORD, "m1 counter", actor=platform)
    from merchants.partners.models import Merchant

    do_add_merchant_user(db.session.get(Merchant, w.ids["m1"]), staff, MerchantRole.STAFF, platform)
    users["m1_staff"] = staff
    for login, user in users.items():
        w.ids[f"user:{login}"] = user.id
        w.tokens[login], _row = do_issue_token(user)
    for step in _steps:
        step(w)
    db.session.remove()
    return w
