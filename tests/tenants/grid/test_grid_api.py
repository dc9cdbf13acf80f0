"""The grid's API: the admin builds grids, buildings and teams; staff read; residents and
other communities get nothing; bad input is refused with nothing written."""

import uuid

import pytest

from core.audit.models import AuditEvent
from core.extensions import db

BASE = "/api/v1/c/{slug}"


def url(world, community, path):
    return BASE.format(slug=world.slugs[community]) + path


def count(app, model):
    from sqlalchemy import func, select

    from core.tenancy.context import all_communities

    # a short app context of its own: one held open around requests would be reused by the
    # test client, and ``g`` (the API user) with it
    with app.app_context(), all_communities():
        return db.session.scalar(select(func.count()).select_from(model))


def test_admin_builds_a_grid_with_a_micro_grid_building_staff_and_resident(api, world):
    admin = api.as_("c1_admin")
    grid = admin.post(url(world, "c1", "/grids"), json={"name": "North"})
    assert grid.status_code == 201, grid.json
    micro = admin.post(url(world, "c1", "/grids"), json={"name": "North-1", "parent": grid.json["id"]})
    assert micro.status_code == 201 and micro.json["parent"] == grid.json["id"]
    staff = admin.post(url(world, "c1", f"/grids/{grid.json['id']}/staff"),
                       json={"member": str(world.member_id("c1_grid")), "role": "head"})
    assert staff.status_code == 201 and staff.json["role"] == "head"
    building = admin.post(url(world, "c1", "/buildings"), json={"name": "Bldg 9", "grid": micro.json["id"]})
    assert building.status_code == 201
    resident = admin.post(url(world, "c1", f"/buildings/{building.json['id']}/residents"),
                          json={"member": str(world.member_id("c1_red")), "unit": "2-301"})
    assert resident.status_code == 201 and resident.json["unit"] == "2-301"

    detail = api.as_("c1_grid").get(url(world, "c1", f"/buildings/{building.json['id']}"))
    assert detail.status_code == 200
    assert [r["member"] for r in detail.json["residents"]] == [str(world.member_id("c1_red"))]
    grid_detail = api.as_("c1_grid").get(url(world, "c1", f"/grids/{grid.json['id']}"))
    assert grid_detail.json["staff"][0]["member"] == str(world.member_id("c1_grid"))


def test_resident_moves_when_attached_elsewhere(api, world, app):
    from core.tenancy.context import use_community
    from tenants.grid.queries import residence_of

    admin = api.as_("c1_admin")
    other = admin.post(url(world, "c1", "/buildings"), json={"name": "Bldg 2", "grid": str(world.ids["grid:c1"])})
    moved = admin.post(url(world, "c1", f"/buildings/{other.json['id']}/residents"),
                       json={"member": str(world.member_id("c1_blue"))})
    assert moved.status_code == 201
    with app.app_context(), use_community(world.ids["c1"]):
        assert str(residence_of(world.member_id("c1_blue")).building_id) == other.json["id"]


def test_team_with_standing_role_members_and_leader(api, world):
    admin = api.as_("c1_admin")
    team = admin.post(url(world, "c1", "/teams"), json={"name": "Safety patrol", "role": "safety"})
    assert team.status_code == 201 and team.json["role"] == "safety"
    team_url = url(world, "c1", f"/teams/{team.json['id']}")
    added = admin.post(team_url + "/members", json={"member": str(world.member_id("c1_red"))})
    assert added.status_code == 201
    again = admin.post(team_url + "/members", json={"member": str(world.member_id("c1_red"))})
    assert again.status_code == 409 and again.json["code"] == "already_member"
    led = admin.request("PUT", team_url + "/leader", json={"member": str(world.member_id("c1_blue"))})
    assert led.status_code == 200 and led.json["leader"] == str(world.member_id("c1_blue"))
    assert {m["id"] for m in led.json["members"]} == {str(world.member_id("c1_red")), str(world.member_id("c1_blue"))}
    removed = admin.request("DELETE", team_url + f"/members/{world.member_id('c1_blue')}")
    assert removed.status_code == 204
    after = admin.get(team_url).json
    assert after["leader"] is None and [m["id"] for m in after["members"]] == [str(world.member_id("c1_red"))]


@pytest.mark.parametrize("body, field", [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x" * 81}, "name"),
    ({"name": "ok", "parent": "not-a-uuid"}, "parent"),
    ({"name": "ok", "parent": str(uuid.uuid4())}, "parent"),
    ({"name": "ok", "extra": 1}, "extra"),
])
def test_bad_grid_input_is_422_naming_the_field_and_writes_nothing(api, world, app, body, field):
    from tenants.grid.models import Grid

    before = count(app, Grid)
    response = api.as_("c1_admin").post(url(world, "c1", "/grids"), json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert count(app, Grid) == before


def test_duplicate_names_and_micro_of_micro_are_refused(api, world):
    admin = api.as_("c1_admin")
    dup = admin.post(url(world, "c1", "/grids"), json={"name": "c1 G1"})
    assert dup.status_code == 409 and dup.json["code"] == "name_taken"
    deep = admin.post(url(world, "c1", "/grids"), json={"name": "deep", "parent": str(world.ids["microgrid:c1"])})
    assert deep.status_code == 422 and "parent" in deep.json["errors"]


def test_a_resident_cannot_be_grid_staff(api, world):
    response = api.as_("c1_admin").post(url(world, "c1", f"/grids/{world.ids['grid:c1']}/staff"),
                                        json={"member": str(world.member_id("c1_red"))})
    assert response.status_code == 422 and "member" in response.json["errors"]


def test_roles(api, world):
    assert api.as_("c1_red").get(url(world, "c1", "/grids")).status_code == 403
    assert api.as_("c1_grid").get(url(world, "c1", "/grids")).status_code == 200
    assert api.as_("c1_grid").post(url(world, "c1", "/grids"), json={"name": "nope"}).status_code == 403
    assert api.as_("c1_grid").post(url(world, "c1", "/teams"), json={"name": "nope"}).status_code == 403


def test_body_ids_of_another_community_are_unknown(api, world):
    admin = api.as_("c1_admin")
    building = admin.post(url(world, "c1", "/buildings"), json={"name": "X", "grid": str(world.ids["grid:c2"])})
    assert building.status_code == 422 and "grid" in building.json["errors"]
    staff = admin.post(url(world, "c1", f"/grids/{world.ids['grid:c1']}/staff"),
                       json={"member": str(world.member_id("c2_grid"))})
    assert staff.status_code == 422 and "member" in staff.json["errors"]
    member = admin.post(url(world, "c1", f"/teams/{world.ids['team:c1']}/members"),
                        json={"member": str(world.member_id("c2_red"))})
    assert member.status_code == 422


CROSS = [
    ("GET", "/grids/{grid}", None),
    ("POST", "/grids/{grid}/staff", {"member": "{c2_grid}"}),
    ("DELETE", "/grids/{grid}/staff/{c2_grid}", None),
    ("GET", "/buildings/{building}", None),
    ("POST", "/buildings/{building}/residents", {"member": "{c2_red}"}),
    ("DELETE", "/buildings/{building}/residents/{c2_red}", None),
    ("GET", "/teams/{team}", None),
    ("POST", "/teams/{team}/members", {"member": "{c2_red}"}),
    ("DELETE", "/teams/{team}/members/{c2_blue}", None),
    ("PUT", "/teams/{team}/leader", {"member": "{c2_red}"}),
]


@pytest.mark.parametrize("method, path, body", CROSS)
def test_c1_admin_gets_404_for_c2_rows(api, world, method, path, body):
    values = {"grid": world.ids["grid:c2"], "building": world.ids["building:c2"], "team": world.ids["team:c2"],
              "c2_grid": world.member_id("c2_grid"), "c2_red": world.member_id("c2_red"),
              "c2_blue": world.member_id("c2_blue")}
    filled = path.format(**values)
    json_body = {k: v.format(**values) for k, v in body.items()} if body else None
    # through c1's URL prefix, c2's rows do not exist
    response = api.as_("c1_admin").request(method, url(world, "c1", filled), json=json_body)
    assert response.status_code == 404, response.json
    # through c2's prefix, c1's admin is not a member: 404 too
    response = api.as_("c1_admin").request(method, url(world, "c2", filled), json=json_body)
    assert response.status_code == 404
    assert response.json["code"] == "not_found"


def test_every_change_is_audited(api, world, app):
    api.as_("c1_admin").post(url(world, "c1", "/grids"), json={"name": "Audited"})
    with app.app_context():
        events = db.session.query(AuditEvent).filter(AuditEvent.event == "grid.created",
                                                     AuditEvent.community_id == world.ids["c1"]).all()
        assert any(e.data["name"] == "Audited" for e in events)
