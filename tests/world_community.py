"""World steps for the grid, activities and work orders: the same shape in c1 and c2, so
every cross-tenant test has a real row of the other community to aim at.

Per community ``c``: grid ``c G1`` with micro-grid ``c G1-a``; building ``c B1`` in G1 where
``c_red``, ``c_blue`` and ``c_green`` live; ``c_grid`` is G1's grid worker; team ``c Green
team`` (environment inspectors) led by ``c_green`` with ``c_blue``. Ids are in
``world.ids["grid:c1"]``, ``["microgrid:c1"]``, ``["building:c1"]``, ``["team:c1"]``.
"""

from tests.world import world_step


class _WorldActor:
    """The community admin, as an actor for actions run while building the world."""

    def __init__(self, community, member):
        from core.identity.models import Role

        self.community, self.member, self.user, self.role = community, member, member.user, Role.ADMIN

    def can(self, role):
        return True

    @property
    def is_staff(self):
        return True


def world_actor(world, community_name):
    from core.extensions import db
    from core.identity.models import Member

    member = db.session.get(Member, {"community_id": world.ids[community_name],
                                     "id": world.member_id(f"{community_name}_admin")})
    return _WorldActor(world.community(community_name), member)


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
