"""World steps for the grid, activities and work orders: the same shape in c1 and c2, so
every cross-tenant test has a real row of the other community to aim at.

Per community ``c``: grid ``c G1`` with micro-grid ``c G1-a``; building ``c B1`` in G1 where
``c_red``, ``c_blue`` and ``c_green`` live; ``c_grid`` is G1's grid worker; team ``c Green
team`` (environment inspectors) led by ``c_green`` with ``c_blue``. Ids are in
``world.ids["grid:c1"]``, ``["microgrid:c1"]``, ``["building:c1"]``, ``["team:c1"]``.
"""

from tests.world import world_step


def actor_of(world, login):
    """The member ``login`` as an actor of their community (for actions run while building)."""
    from core.tenancy.access import Actor

    member = _member(world, login)
    return Actor(member.user, world.community(login.split("_")[0]), member, member.role)


def world_actor(world, community_name):
    return actor_of(world, f"{community_name}_admin")


def _forget_notices() -> None:
    from sqlalchemy import delete

    from core.extensions import db
    from core.notifications.models import Notification
    from core.transactions import atomic

    with atomic():
        db.session.execute(delete(Notification).where(
            Notification.kind.like("activity.%") | Notification.kind.like("order.%")))


def _member(world, name):
    from core.extensions import db
    from core.identity.models import Member

    community = name.split("_")[0]
    return db.session.get(Member, {"community_id": world.ids[community], "id": world.member_id(name)})


@world_step
def grid_world(world) -> None:
    from core.tenancy.context import use_community
    from tenants.grid import actions
    from tenants.grid.models import StaffRole, TeamRole

    for c in ("c1", "c2"):
        with use_community(world.ids[c]):
            actor = world_actor(world, c)
            grid = actions.do_create_grid(actor, name=f"{c} G1")
            micro = actions.do_create_grid(actor, name=f"{c} G1-a", parent=grid)
            building = actions.do_create_building(actor, name=f"{c} B1", grid=grid, address="1 Main St")
            actions.do_assign_staff(actor, grid, _member(world, f"{c}_grid"), StaffRole.WORKER)
            for who in ("red", "blue", "green"):
                actions.do_attach_resident(actor, building, _member(world, f"{c}_{who}"), f"Unit 1-{who}")
            team = actions.do_create_team(actor, name=f"{c} Green team", role=TeamRole.ENVIRONMENT)
            actions.do_set_team_leader(actor, team, _member(world, f"{c}_green"))
            actions.do_add_team_member(actor, team, _member(world, f"{c}_blue"))
            world.ids[f"grid:{c}"], world.ids[f"microgrid:{c}"] = grid.id, micro.id
            world.ids[f"building:{c}"], world.ids[f"team:{c}"] = building.id, team.id
            # a row of this community per URL argument name, for the cross-tenant harness
            world.extra.setdefault("url_args", {}).setdefault(c, {}).update(
                grid_id=grid.id, building_id=building.id, team_id=team.id)


RULES = [
    # code, name, category, points, unit
    ("act_hour", "Volunteer service", "activities", 10, "hour"),
    ("repair_help", "Repair for elderly residents", "help", 5, "each"),
    ("early_fire", "Found an early-stage fire", "safety", 10, "each"),
]


def world_rule(world, community_name, code):
    from sqlalchemy import select

    from core.extensions import db
    from tenants.rules.models import Rule

    return db.session.scalar(select(Rule).where(Rule.community_id == world.ids[community_name], Rule.code == code))


@world_step
def activities_and_orders_world(world) -> None:
    """Per community: the rules above (own codes, so the rules capability's world may add its
    own in any order); a published activity tomorrow (``activity:c``, 2 h, 10 points an
    hour, 5 places) with ``c_red`` signed up; work order categories
    ``category:c`` (repairs, paid by repair_help, bonus 2) and ``hazard_category:c`` (fire,
    reporter paid by early_fire); an order ``order:c`` reported by ``c_red``."""
    from datetime import timedelta

    from core.tenancy.context import use_community
    from core.types import utcnow
    from tenants.activities import actions as activity_actions
    from tenants.rules.actions import do_create_rule
    from tenants.workorders import actions as order_actions
    from tenants.workorders.models import OrderKind

    for c in ("c1", "c2"):
        with use_community(world.ids[c]):
            actor = world_actor(world, c)
            for code, name, category, points, unit in RULES:
                if world_rule(world, c, code) is None:
                    do_create_rule(actor, code=code, name=f"{name}", category=category, points=points, unit=unit,
                                   needs_approval=False)
            start = (utcnow() + timedelta(days=1)).replace(microsecond=0)
            activity = activity_actions.do_create_activity(
                actor, rule=world_rule(world, c, "act_hour"), title=f"{c} Clean-up of the river bank",
                description="Bring gloves.", place="North gate", starts_at=start,
                ends_at=start + timedelta(hours=2), signup_deadline=start - timedelta(hours=1), capacity=5,
            )
            red = _member(world, f"{c}_red")
            activity_actions.do_sign_up(actor_of(world, f"{c}_red"), activity, red)
            repairs = order_actions.do_create_category(
                actor, name=f"{c} Repairs", kind=OrderKind.NEED, rule=world_rule(world, c, "repair_help"),
                bonus_points=2)
            fire = order_actions.do_create_category(
                actor, name=f"{c} Fire and safety", kind=OrderKind.HAZARD,
                reporter_rule=world_rule(world, c, "early_fire"))
            order = order_actions.do_report(actor_of(world, f"{c}_red"), reporter=red, category=repairs,
                                            text="The stairwell light on floor 3 is broken.", place="B1 unit 2")
            world.ids[f"activity:{c}"], world.ids[f"order:{c}"] = activity.id, order.id
            world.ids[f"category:{c}"], world.ids[f"hazard_category:{c}"] = repairs.id, fire.id
            # ``which``: a work order's photo, "report" or "done"
            world.extra.setdefault("url_args", {}).setdefault(c, {}).update(
                activity_id=activity.id, order_id=order.id, which="report")
            # other capabilities' tests read residents' inboxes: leave them as they were
            _forget_notices()
