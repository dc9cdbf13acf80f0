"""Demo rule templates (from the districts' own lists in ``seeds/``) and a little history, so
``make run`` shows filled record cards and a claims queue."""

from datetime import timedelta

from sqlalchemy import select

from core.extensions import db
from core.identity.models import Member
from core.tenancy.access import Actor
from core.tenancy.context import use_community
from core.types import utcnow

CLAIM = {"residents_may_claim": True}

# code, name, category, points, unit, extra fields
TEMPLATES = [
    ("early_fire", "发现并报告初期火情", "安全隐患", 10, "each",
     {**CLAIM, "needs_evidence": True, "cap_month": 4}),
    ("illegal_guesthouse", "举报群租房、违规民宿", "安全隐患", 2, "each",
     {**CLAIM, "needs_evidence": True, "cap_month": 10}),
    ("haircut_elderly", "为老年人、困难群众义务理发", "扶弱助困", 5, "each", {**CLAIM, "cap_day": 5}),
    ("repairs_elderly", "为老年人、困难群众水电维修", "扶弱助困", 5, "each", {**CLAIM, "cap_day": 5}),
    ("cleanup", "参加环境卫生大扫除", "环境卫生", 2, "each",
     {**CLAIM, "needs_approval": False, "cap_day": 1}),
    ("recommend_volunteer", "推荐新志愿者", "志愿推荐", 5, "each", {**CLAIM, "cap_month": 5}),
    ("volunteer_hour", "志愿服务（每小时）", "志愿服务", 10, "hour", {"cap_day": 8}),
    ("training", "参加培训学习（双积分）", "双积分", 2, "each", {"cap_day": 2}),
    ("meeting", "参加社区会议（双积分）", "双积分", 2, "each", {"cap_day": 2}),
    ("party_activity", "参加党组织活动（双积分）", "双积分", 3, "each", {"cap_day": 2}),
    ("mediation", "调解邻里纠纷", "矛盾调解", 5, "each", {**CLAIM, "cap_month": 10}),
    ("civility", "文明劝导", "文明新风", 2, "each", {**CLAIM, "cap_day": 3}),
    ("customs_reform", "婚事新办、丧事简办", "移风易俗", 5, "each", {**CLAIM, "cap_year": 2}),
]


def add_templates(district, actor=None) -> None:
    from tenants.rules.actions import do_add_template
    from tenants.rules.queries import templates_of

    have = {t.code for t in templates_of(district.id)}
    for code, name, category, points, unit, extra in TEMPLATES:
        if code not in have:
            do_add_template(district, code=code, name=name, category=category, points=points,
                            unit=unit, actor=actor, **extra)


def load(ctx) -> None:
    """Templates for every demo district, copied into the communities that already exist,
    then a few awards and claims per community."""
    from core.transactions import atomic
    from tenants.rules.actions import copy_templates

    admin = ctx["users"].get("admin")
    for district in ctx["districts"].values():
        add_templates(district, admin)
    for slug, community in ctx["communities"].items():
        with use_community(community.id):
            with atomic():
                copy_templates(community, community.district, admin)
            _history(ctx, slug, community)


def _history(ctx, slug, community) -> None:
    from tenants.rules.actions import do_award_points
    from tenants.rules.claim_actions import do_submit_claim
    from tenants.rules.queries import rule_by_code

    grid_user = ctx["users"][f"{slug}-grid"]
    members = {m.user_id: m for m in db.session.scalars(select(Member))}
    grid = Actor(grid_user, community, members[grid_user.id], members[grid_user.id].role)
    now = utcnow()
    for suffix, code, quantity, days_ago in (
        ("red", "volunteer_hour", 3, 20), ("red", "training", 1, 9),
        ("blue", "haircut_elderly", 1, 6), ("green", "cleanup", 1, 2),
    ):
        member = members[ctx["users"][f"{slug}-{suffix}"].id]
        do_award_points(grid, rule_by_code(community.id, code), [member], quantity,
                        now=now - timedelta(days=days_ago))
    blue = members[ctx["users"][f"{slug}-blue"].id]
    resident = Actor(blue.user, community, blue, blue.role)
    do_submit_claim(resident, rule_by_code(community.id, "repairs_elderly"), 1,
                    "帮3号楼独居的李奶奶修好了厨房水龙头。")
