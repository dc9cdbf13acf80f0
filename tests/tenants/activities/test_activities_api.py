"""The activities API: create, sign up, the door, close; bad input 422 with nothing written;
another community's activity is 404 on every route."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.tenancy.context import all_communities, use_community
from core.types import utcnow
from tenants.activities.models import Activity, Signup


def url(world, community, path=""):
    return f"/api/v1/c/{world.slugs[community]}/activities{path}"


def body(**change):
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    data = {"title": "Park clean-up", "place": "East park", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 2, "rule": "act_hour"}
    data.update(change)
    return data


def count(app, model):
    # Never hold an app context open around requests: the test client would reuse it, and
    # ``g`` (the API user) with it.
    with app.app_context(), all_communities():
        return db.session.scalar(select(func.count()).select_from(model))


def test_create_sign_up_waitlist_and_cancel(api, world):
    created = api.as_("c1_grid").post(url(world, "c1"), json=body())
    assert created.status_code == 201, created.json
    assert created.json["rule"] == "act_hour" and created.json["status"] == "published"
    path = f"/{created.json['id']}/signups"
    assert api.as_("c1_red").post(url(world, "c1", path), json={}).json["status"] == "signed_up"
    assert api.as_("c1_blue").post(url(world, "c1", path), json={}).json["status"] == "signed_up"
    assert api.as_("c1_green").post(url(world, "c1", path), json={}).json["status"] == "waitlisted"
    again = api.as_("c1_red").post(url(world, "c1", path), json={})
    assert again.status_code == 409 and again.json["code"] == "already_signed_up"
    gone = api.as_("c1_blue").request("DELETE", url(world, "c1", f"{path}/{world.member_id('c1_blue')}"))
    assert gone.status_code == 200 and gone.json["status"] == "cancelled"
    sheet = api.as_("c1_grid").get(url(world, "c1", path)).json["items"]
    assert {(s["name"], s["status"]) for s in sheet} == {("c1 red person", "signed_up"),
                                                         ("c1 green person", "signed_up")}
    assert api.as_("c1_red").get(url(world, "c1", path)).status_code == 403
    # a resident cannot sign up or cancel someone else
    assert api.as_("c1_red").post(url(world, "c1", path), json={"member": str(world.member_id("c1_blue"))}).status_code == 403
    assert api.as_("c1_red").request("DELETE", url(world, "c1", f"{path}/{world.member_id('c1_green')}")).status_code == 403


@pytest.mark.parametrize("change, field", [
    ({"capacity": "3"}, "capacity"),
    ({"capacity": 0}, "capacity"),
    ({"title": ""}, "title"),
    ({"starts_at": "tomorrow"}, "starts_at"),
    ({"starts_at": "2030-01-01T10:00:00"}, "starts_at"),  # no offset
    ({"rule": "nope"}, "rule"),
    ({"team": "not-a-uuid"}, "team"),
    ({"team": "00000000-0000-7000-8000-000000000000"}, "team"),
    ({"min_share": 101}, "min_share"),
    ({"status": "closed"}, "status"),
    ({"unexpected": 1}, "unexpected"),
])
def test_bad_input_is_422_naming_the_field_and_writes_nothing(api, world, app, change, field):
    before = count(app, Activity)
    response = api.as_("c1_admin").post(url(world, "c1"), json=body(**change))
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert count(app, Activity) == before


def test_times_that_do_not_fit_are_422(api, world):
    start = utcnow() + timedelta(days=1)
    ends_first = api.as_("c1_admin").post(url(world, "c1"), json=body(
        starts_at=start.isoformat(), ends_at=(start - timedelta(hours=1)).isoformat()))
    assert ends_first.status_code == 422 and "ends_at" in ends_first.json["errors"]
    past = api.as_("c1_admin").post(url(world, "c1"), json=body(
        starts_at=(utcnow() - timedelta(hours=1)).isoformat(), ends_at=(utcnow() + timedelta(hours=1)).isoformat()))
    assert past.status_code == 422 and "starts_at" in past.json["errors"]
    assert api.as_("c1_red").post(url(world, "c1"), json=body()).status_code == 403


def test_the_door_and_closing_over_the_api(api, world, app):
    from tests.tenants.activities.helpers import move

    created = api.as_("c1_admin").post(url(world, "c1"), json=body(capacity=10)).json
    aid = created["id"]
    api.as_("c1_red").post(url(world, "c1", f"/{aid}/signups"), json={})
    api.as_("c1_admin").post(url(world, "c1", f"/{aid}/signups"), json={"member": str(world.member_id("c1_blue"))})
    with app.app_context(), use_community(world.ids["c1"]):
        activity = db.session.get(Activity, {"community_id": world.ids["c1"], "id": uuid.UUID(aid)})
        move(activity, starts_in=-timedelta(minutes=5), hours=2)
    code = api.as_("c1_grid").get(url(world, "c1", f"/{aid}/code")).json["code"]
    assert api.as_("c1_red").get(url(world, "c1", f"/{aid}/code")).status_code == 403
    checked = api.as_("c1_red").post(url(world, "c1", f"/{aid}/code"), json={"code": code})
    assert checked.status_code == 200 and checked.json["checked_in_at"]
    wrong = api.as_("c1_blue").post(url(world, "c1", f"/{aid}/code"), json={"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 422 and "code" in wrong.json["errors"]
    by_number = api.as_("c1_grid").post(url(world, "c1", f"/{aid}/checkins"), json={"query": "c1 blue"})
    assert by_number.status_code == 201, by_number.json
    neither = api.as_("c1_grid").post(url(world, "c1", f"/{aid}/checkins"), json={})
    assert neither.status_code == 422
    nobody = api.as_("c1_grid").post(url(world, "c1", f"/{aid}/checkins"), json={"query": "zzz nobody"})
    assert nobody.status_code == 422 and nobody.json["code"] == "member_not_found"
    makeup = api.as_("c1_admin").post(url(world, "c1", f"/{aid}/makeups"),
                                      json={"member": str(world.member_id("c1_blue")), "minutes": 30, "reason": "Set up"})
    assert makeup.status_code == 201 and makeup.json["makeup_minutes"] == 30
    assert api.as_("c1_grid").post(url(world, "c1", f"/{aid}/makeups"), json={
        "member": str(world.member_id("c1_blue")), "minutes": 30, "reason": "x"}).status_code == 403
    not_ended = api.as_("c1_grid").post(url(world, "c1", f"/{aid}/close"))
    assert not_ended.status_code == 409 and not_ended.json["code"] == "not_ended"


CROSS = [
    ("GET", "", None), ("GET", "/signups", None), ("POST", "/signups", {"member": "{member}"}),
    ("DELETE", "/signups/{member}", None), ("POST", "/checkins", {"member": "{member}"}),
    ("POST", "/checkouts", {"member": "{member}"}), ("GET", "/code", None), ("POST", "/code", {"code": "123456"}),
    ("POST", "/makeups", {"member": "{member}", "minutes": 5, "reason": "r"}), ("POST", "/close", None),
]


@pytest.mark.parametrize("method, path, payload", CROSS)
def test_another_communitys_activity_is_404(api, world, app, method, path, payload):
    before = count(app, Signup)
    member = str(world.member_id("c2_red"))
    filled = f"/{world.ids['activity:c1']}" + path.format(member=member)
    json_body = {k: (v.format(member=member) if isinstance(v, str) else v) for k, v in payload.items()} if payload else None
    response = api.as_("c2_admin").request(method, url(world, "c2", filled), json=json_body)
    assert response.status_code == 404, response.json
    assert api.as_("c2_admin").request(method, url(world, "c1", filled), json=json_body).status_code == 404
    assert count(app, Signup) == before
