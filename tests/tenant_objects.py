"""One real object of each kind a URL names, in a community. The cross-tenant harness
(tests/core/test_cross_tenant.py) sends another community's; Schemathesis
(tests/core/test_schemathesis.py) aims at the actor's own.

Two sources: what a capability's world step leaves in ``world.extra["url_args"][<community>]``
(``{argument: id}``, committed with the world: rules' ``rule_id``, ``claim_id``), and objects
made here inside the test's rolled-back transaction (the shop's orders and windows, which the
world does not hold). A route with a new kind of path argument fails both tests until its
kind is in one of them: that is the point (each route gets a cross-tenant check without
anyone remembering to write one).
"""

from datetime import time

from sqlalchemy import select

from core.extensions import db
from core.identity.models import Member, User
from core.ledger import actions as ledger
from core.tenancy.context import use_community
from core.transactions import atomic


def community_objects(app, world, name: str) -> dict[str, str]:
    """``{path argument: id}`` for community ``name``, as strings."""
    from tenants.shop import actions as shop

    with app.app_context(), use_community(world.ids[name]):
        community = world.community(name)
        admin = db.session.get(User, world.ids[f"user:{name}_admin"])
        red = db.session.scalar(select(Member).where(Member.id == world.member_id(f"{name}_red")))
        with atomic():
            ledger.award(community, red, 10, reason="test objects")
        item = shop.do_create_item(community, name="Probe item", points=2, stock=5, actor=admin)
        order = shop.do_place_order(community, item, red, 1, actor=red.user)
        window = shop.do_add_weekly_window(community, weekday=6, opens=time(8), closes=time(9),
                                           actor=admin)
        # a rule template of the community's district (not in the world: the rules' tests
        # expect districts without templates)
        from tenants.onboarding.rule_templates import do_create_rule_template

        template = do_create_rule_template(community.district, code="probe-rule", actor=admin,
                                           name="Probe rule", points=1, unit="each")
        found = {**world.extra.get("url_args", {}).get(name, {}),
                 "member_id": red.id, "item_id": item.id, "order_id": order.id,
                 "window_id": window.id, "rule_template_id": template.id}
        db.session.remove()
    return {key: str(value) for key, value in found.items()}
