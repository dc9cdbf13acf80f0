"""Rules: the API contract, admin pages, district templates copied into new communities."""

import uuid

import pytest
from sqlalchemy import select

from core.extensions import db
from tests.helpers import csrf_token

RULE = {"code": "haircut", "name": "为老人义务理发", "category": "扶弱助困", "points": 5,
        "unit": "each", "needs_approval": True}


def test_admin_creates_a_rule_and_members_list_it(api, urls):
    created = api.as_("c1_admin").post(urls("c1", "/rules", api=True), json=RULE)
    assert created.status_code == 201, created.json
    assert created.json["code"] == "haircut" and created.json["unit"] == "each"
    assert created.json["caps"] == {"day": None, "month": None, "year": None}
    assert created.json["awarded_by"] == ["grid_worker", "admin"]
    listed = api.as_("c1_red").get(urls("c1", "/rules", api=True))
    assert listed.status_code == 200
    codes = [r["code"] for r in listed.json["items"]]
    assert "haircut" in codes and "cleanup" in codes
    assert listed.json["next_cursor"] is None
    # c2 has its own rules only
    c2_codes = [r["code"] for r in api.as_("c2_red").get(urls("c2", "/rules", api=True)).json["items"]]
    assert "haircut" not in c2_codes


def test_code_taken_is_409_and_the_same_code_is_fine_elsewhere(api, urls):
    assert api.as_("c1_admin").post(urls("c1", "/rules", api=True), json=RULE).status_code == 201
    again = api.as_("c1_admin").post(urls("c1", "/rules", api=True), json=RULE)
    assert again.status_code == 409 and again.json["code"] == "code_taken"
    assert api.as_("c2_admin").post(urls("c2", "/rules", api=True), json=RULE).status_code == 201


def test_hourly_rule_with_caps_and_claimable(api, urls):
    body = {**RULE, "code": "visit", "unit": "hour", "points": 10, "awarded_by": ["resident", "admin"],
            "caps": {"day": 4, "year": 200}, "needs_evidence": True}
    created = api.as_("c1_admin").post(urls("c1", "/rules", api=True), json=body)
    assert created.status_code == 201, created.json
    assert created.json["caps"] == {"day": 4, "month": None, "year": 200}
    assert created.json["awarded_by"] == ["resident", "admin"]


@pytest.mark.parametrize("override, field", [
    ({"points": 0}, "points"), ({"points": -5}, "points"), ({"points": "5"}, "points"),
    ({"points": 10**9}, "points"), ({"unit": "minute"}, "unit"), ({"code": "has space"}, "code"),
    ({"code": ""}, "code"), ({"name": ""}, "name"), ({"name": "x" * 121}, "name"),
    ({"awarded_by": ["mayor"]}, "awarded_by"), ({"caps": {"day": 0}}, "caps"),
    ({"caps": {"week": 3}}, "caps"), ({"needs_approval": "perhaps"}, "needs_approval"),
])
def test_bad_rules_are_422(api, urls, counts, override, field):
    before = counts()
    response = api.as_("c1_admin").post(urls("c1", "/rules", api=True), json={**RULE, **override})
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert counts() == before


def test_only_admins_create_rules(api, urls):
    assert api.as_("c1_grid").post(urls("c1", "/rules", api=True), json=RULE).status_code == 403
    assert api.as_("c1_red").post(urls("c1", "/rules", api=True), json=RULE).status_code == 403
    assert api.as_("c2_admin").post(urls("c1", "/rules", api=True), json=RULE).status_code == 404


def test_retired_rules_are_listed_only_on_request(api, world, urls, web):
    web.login("c1_admin")
    rule_id = world.ids["rule:c1:cleanup"]
    page = web.get(urls("c1", f"/rules/{rule_id}/edit")).get_data(as_text=True)
    response = web.client.post(urls("c1", f"/rules/{rule_id}/retire"),
                               data={"csrf_token": csrf_token(page), "retire": "1"})
    assert response.status_code == 302
    active = api.as_("c1_red").get(urls("c1", "/rules", api=True)).json["items"]
    assert "cleanup" not in [r["code"] for r in active]
    every = api.as_("c1_red").get(urls("c1", "/rules?include_retired=true", api=True)).json["items"]
    assert {"code": "cleanup", "active": False}.items() <= next(
        r for r in every if r["code"] == "cleanup").items()


def api_rule_id(web, urls, code):
    response = web.post_form(urls("c1", "/rules/new"), {"name": code, "code": code, "points": "1",
                                                        "unit": "each"})
    assert response.status_code == 302
    import re

    page = web.get(urls("c1", "/rules/")).get_data(as_text=True)
    row = re.search(r'<td class="mono">' + code + r'</td>.*?/rules/([0-9a-f-]+)/edit', page, re.S)
    return uuid.UUID(row.group(1))


def test_admin_pages_create_edit_and_refuse_deleting_a_used_rule(web, world, urls, app):
    web.login("c1_admin")
    response = web.post_form(urls("c1", "/rules/new"), {
        "name": "推荐新志愿者", "code": "recommend", "category": "志愿推荐", "points": "5",
        "unit": "each", "residents_may_claim": "y", "needs_approval": "y",
        "grid_workers_may_award": "y", "admins_may_award": "y", "cap_month": "3"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    taken = web.post_form(urls("c1", "/rules/new"), {"name": "x", "code": "recommend", "points": "1",
                                                     "unit": "each"})
    assert taken.status_code == 409
    assert "already used" in taken.get_data(as_text=True)
    bad = web.post_form(urls("c1", "/rules/new"), {"name": "x", "code": "bad code", "points": "0",
                                                   "unit": "each"})
    assert bad.status_code == 422
    # edit: points change, the code stays
    fire = world.ids["rule:c1:fire"]
    edited = web.post_form(urls("c1", f"/rules/{fire}/edit"), {
        "name": "发现初期火情", "code": "changed", "category": "安全隐患", "points": "12", "unit": "each",
        "residents_may_claim": "y", "needs_approval": "y", "needs_evidence": "y",
        "grid_workers_may_award": "y", "admins_may_award": "y"})
    assert edited.status_code == 302
    from core.tenancy.context import use_community
    from tenants.rules.models import Rule

    with app.app_context(), use_community(world.ids["c1"]):
        rule = db.session.scalar(select(Rule).where(Rule.id == fire))
        assert (rule.code, rule.points) == ("fire", 12)
    # the world's claim uses "fire": it cannot be deleted, only retired
    refused = web.post_form(urls("c1", f"/rules/{fire}/delete"), page=urls("c1", f"/rules/{fire}/edit"))
    assert refused.status_code == 303
    with app.app_context(), use_community(world.ids["c1"]):
        assert db.session.scalar(select(Rule.id).where(Rule.id == fire)) == fire
    unused = api_rule_id(web, urls, "unused")
    gone = web.post_form(urls("c1", f"/rules/{unused}/delete"), page=urls("c1", f"/rules/{unused}/edit"))
    assert gone.status_code == 302
    with app.app_context(), use_community(world.ids["c1"]):
        assert db.session.scalar(select(Rule.id).where(Rule.id == unused)) is None
        assert db.session.scalar(select(Rule.id).where(Rule.code == "unused")) is None


def test_rule_pages_are_for_admins_but_the_list_is_for_everyone(web, world, urls):
    web.login("c1_red")
    page = web.get(urls("c1", "/rules/"))
    assert page.status_code == 200 and "环境卫生大扫除" in page.get_data(as_text=True)
    assert web.get(urls("c1", "/rules/new")).status_code == 403
    assert web.get(urls("c1", f"/rules/{world.ids['rule:c1:fire']}/edit")).status_code == 403


def test_district_templates_are_copied_into_a_new_community(api, world, app):
    from core.tenancy.models import District
    from tenants.rules.actions import do_add_template

    with app.app_context():
        district = db.session.get(District, world.ids["d1"])
        do_add_template(district, code="early_fire", name="发现初期火情", category="安全隐患",
                        points=10, unit="each", residents_may_claim=True, needs_evidence=True)
        do_add_template(district, code="volunteer_hour", name="志愿服务（每小时）", category="志愿服务",
                        points=10, unit="hour", cap_day=8)
    created = api.as_("d1_admin").post(f"/api/v1/districts/{world.slugs['d1']}/communities", json={
        "slug": "fresh", "name": "新社区", "admin": {"login": "fresh_admin", "password": "long-pass-1",
                                                     "name": "管理员"}})
    assert created.status_code == 201, created.json
    token = api.post("/api/v1/tokens", json={"login": "fresh_admin", "password": "long-pass-1"}).json["token"]
    rules = api.get("/api/v1/c/fresh/rules", headers={"Authorization": f"Bearer {token}"}).json["items"]
    by_code = {r["code"]: r for r in rules}
    assert set(by_code) == {"early_fire", "volunteer_hour"}
    assert by_code["volunteer_hour"]["unit"] == "hour" and by_code["volunteer_hour"]["caps"]["day"] == 8
    assert by_code["early_fire"]["awarded_by"] == ["resident", "grid_worker", "admin"]
    # d2's new communities do not get d1's templates
    other = api.as_("d2_admin").post(f"/api/v1/districts/{world.slugs['d2']}/communities", json={
        "slug": "other", "name": "别处", "admin": {"login": "other_admin", "password": "long-pass-1",
                                                   "name": "管理员"}})
    assert other.status_code == 201
    token = api.post("/api/v1/tokens", json={"login": "other_admin", "password": "long-pass-1"}).json["token"]
    assert api.get("/api/v1/c/other/rules", headers={"Authorization": f"Bearer {token}"}).json["items"] == []
