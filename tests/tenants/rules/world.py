"""The rules part of the test world (registered with ``world_step``; imported by
``tests/conftest.py`` so it runs whichever tests are collected).

In c1 and c2 alike:
- ``cleanup``: 2 points each; residents claim it and get the points at once;
- ``fire``: 10 points each; residents claim it with a photo; a grid worker approves;
- ``service_hour``: 10 points per hour, at most 8 hours a day; staff award it.
And one waiting ``fire`` claim (with a photo) by ``<c>_blue``.

``world.ids``: ``rule:<c>:<code>``, ``claim:<c>``. ``world.extra["url_args"][<c>]`` maps URL
argument names (``rule_id``, ``claim_id``, ``member_id``) to a row of that community, for the
cross-tenant harness.
"""

import io

from PIL import Image

from tests.world import world_step

RULES = [
    dict(code="cleanup", name="环境卫生大扫除", category="环境卫生", points=2, unit="each",
         residents_may_claim=True, needs_approval=False),
    dict(code="fire", name="发现初期火情", category="安全隐患", points=10, unit="each",
         residents_may_claim=True, needs_approval=True, needs_evidence=True),
    dict(code="service_hour", name="志愿服务", category="志愿服务", points=10, unit="hour",
         cap_day=8),
]


def tiny_png(colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    return out.getvalue()


def actor_for(world, login):
    from sqlalchemy import select

    from core.extensions import db
    from core.identity.models import Member
    from core.tenancy.access import Actor

    member = db.session.scalar(select(Member).where(Member.id == world.member_id(login)))
    return Actor(member.user, world.community(login.split("_")[0]), member, member.role)


@world_step
def rules_world(world):
    from core.tenancy.context import use_community
    from tenants.rules import photos
    from tenants.rules.actions import do_create_rule
    from tenants.rules.claim_actions import do_submit_claim

    world.extra.setdefault("url_args", {})
    for name in ("c1", "c2"):
        with use_community(world.ids[name]):
            admin = actor_for(world, f"{name}_admin")
            rules = {spec["code"]: do_create_rule(admin, **spec) for spec in RULES}
            for code, rule in rules.items():
                world.ids[f"rule:{name}:{code}"] = rule.id
            blue = actor_for(world, f"{name}_blue")
            claim = do_submit_claim(blue, rules["fire"], 1, "3号楼楼道里电动车充电起火，已用灭火器扑灭。",
                                    photo=photos.reencode(tiny_png()))
            world.ids[f"claim:{name}"] = claim.id
            world.extra["url_args"].setdefault(name, {}).update({
                "rule_id": rules["cleanup"].id, "claim_id": claim.id,
                "member_id": world.member_id(f"{name}_blue"),
            })
