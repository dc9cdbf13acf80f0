"""Merchants and partnerships over the API, with the cross-tenant checks."""

import pytest

from merchants.partners.models import Merchant, Partnership
from tests.merchants.helpers import count

OWNER = {"login": "new_owner", "password": "long-enough-1", "name": "新店主"}


def new_merchant(slug="new-shop", **extra):
    return {"slug": slug, "name": "新店", "owner": dict(OWNER), **extra}


@pytest.mark.parametrize("who", ["platform", "d1_admin"])
def test_platform_and_district_admins_create_merchants(api, who):
    response = api.as_(who).post("/api/v1/merchants", json=new_merchant(category="餐饮"))
    assert response.status_code == 201, response.json
    assert response.json["slug"] == "new-shop"
    assert response.json["status"] == "active"
    assert api.as_(who).post("/api/v1/tokens", json={"login": "new_owner", "password": "long-enough-1"}).status_code == 201


@pytest.mark.parametrize("who", ["c1_admin", "c1_red", "m1_owner"])
def test_others_may_not_create_merchants(api, app, who):
    assert api.as_(who).post("/api/v1/merchants", json=new_merchant()).status_code == 403
    assert count(app, Merchant, Merchant.slug == "new-shop") == 0


def test_slug_or_login_taken_is_409_and_writes_nothing(api, app, world):
    taken_slug = api.as_("platform").post("/api/v1/merchants", json=new_merchant(slug=world.slugs["m1"]))
    assert taken_slug.status_code == 409
    assert taken_slug.json["code"] == "slug_taken"
    body = new_merchant()
    body["owner"]["login"] = "m1_owner"
    taken_login = api.as_("platform").post("/api/v1/merchants", json=body)
    assert taken_login.status_code == 409
    assert taken_login.json["code"] == "login_taken"
    assert count(app, Merchant, Merchant.slug == "new-shop") == 0


@pytest.mark.parametrize("body, field", [
    ({"slug": "Bad Slug", "name": "x", "owner": OWNER}, "slug"),
    ({"slug": "ok", "owner": OWNER}, "name"),
    ({"slug": "ok", "name": "x", "owner": {"login": "a b", "password": "long-enough", "name": "x"}}, "owner"),
    ({"slug": "ok", "name": "x", "owner": OWNER, "surprise": 1}, "surprise"),
])
def test_bad_merchant_input_is_422_naming_the_field(api, app, body, field):
    response = api.as_("platform").post("/api/v1/merchants", json=body)
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert count(app, Merchant, Merchant.slug == "ok") == 0


def partners_url(world, c):
    return f"/api/v1/c/{world.slugs[c]}/partners"


def test_community_admin_makes_a_merchant_a_partner_with_exact_terms(api, world):
    response = api.as_("c3_admin").post(partners_url(world, "c3"), json={
        "merchant": world.slugs["m1"], "point_value": {"amount": "0.10", "currency": "CNY"},
        "monthly_cap": {"amount": "500", "currency": "CNY"}})
    assert response.status_code == 201, response.json
    assert response.json["status"] == "active"
    assert response.json["point_value"] == {"amount": "0.10", "currency": "CNY"}
    assert response.json["monthly_cap"] == {"amount": "500.00", "currency": "CNY"}
    assert response.json["community"] == world.slugs["c3"]
    again = api.as_("c3_admin").post(partners_url(world, "c3"), json={
        "merchant": world.slugs["m1"], "point_value": {"amount": "0.10", "currency": "CNY"}})
    assert again.status_code == 409
    assert again.json["code"] == "already_partner"


@pytest.mark.parametrize("point_value, where", [
    ({"amount": "0.105", "currency": "CNY"}, "amount"),
    ({"amount": "0.10", "currency": "USD"}, "currency"),
    ({"amount": "-1", "currency": "CNY"}, "amount"),
    ({"amount": 0.1, "currency": "CNY"}, "amount"),
    ({"amount": "0.10"}, "currency"),
])
def test_bad_point_values_are_422_and_nothing_is_written(api, app, world, point_value, where):
    response = api.as_("c3_admin").post(partners_url(world, "c3"), json={
        "merchant": world.slugs["m1"], "point_value": point_value})
    assert response.status_code == 422, response.json
    assert where in response.json["errors"]["point_value"]
    assert count(app, Partnership, Partnership.community_id == world.ids["c3"]) == 0


def test_unknown_merchant_is_422_and_only_admins_may_partner(api, world):
    body = {"merchant": "nobody", "point_value": {"amount": "0.10", "currency": "CNY"}}
    response = api.as_("c3_admin").post(partners_url(world, "c3"), json=body)
    assert response.status_code == 422
    assert "merchant" in response.json["errors"]
    body["merchant"] = world.slugs["m1"]
    assert api.as_("c3_grid").post(partners_url(world, "c3"), json=body).status_code == 403
    assert api.as_("c1_admin").post(partners_url(world, "c3"), json=body).status_code == 404


def test_merchant_applies_and_community_approves(api, world):
    applied = api.as_("m2_owner").post(f"/api/v1/merchants/{world.slugs['m2']}/partners",
                                       json={"community": world.slugs["c1"], "message": "你好"})
    assert applied.status_code == 201, applied.json
    assert applied.json["status"] == "applied"
    assert api.as_("m1_staff").post(f"/api/v1/merchants/{world.slugs['m1']}/partners",
                                    json={"community": world.slugs["c3"]}).status_code == 403
    listed = api.as_("c1_admin").get(partners_url(world, "c1")).json["items"]
    assert {p["merchant"]: p["status"] for p in listed}[world.slugs["m2"]] == "applied"
    approved = api.as_("c1_admin").post(partners_url(world, "c1"), json={
        "merchant": world.slugs["m2"], "point_value": {"amount": "0.20", "currency": "CNY"}})
    assert approved.status_code == 201
    assert approved.json["status"] == "active"


def test_invitation_is_accepted_by_applying(api, world):
    invited = api.as_("c3_admin").post(partners_url(world, "c3") + "/invitations", json={
        "merchant": world.slugs["m2"], "point_value": {"amount": "0.05", "currency": "CNY"}})
    assert invited.status_code == 201 and invited.json["status"] == "invited"
    accepted = api.as_("m2_owner").post(f"/api/v1/merchants/{world.slugs['m2']}/partners",
                                        json={"community": world.slugs["c3"]})
    assert accepted.status_code == 201
    assert accepted.json["status"] == "active"
    assert accepted.json["point_value"] == {"amount": "0.05", "currency": "CNY"}


def test_either_side_suspends_and_only_that_side_resumes(api, world):
    m1 = world.slugs["m1"]
    url = f"/api/v1/merchants/{m1}/partners/{world.slugs['c1']}"
    assert api.as_("m1_owner").post(url + "/suspend").json["suspended_by"] == "merchant"
    community_resume = api.as_("c1_admin").post(f"{partners_url(world, 'c1')}/{m1}/resume")
    assert community_resume.status_code == 409
    assert community_resume.json["code"] == "suspended_by_other_side"
    assert api.as_("m1_owner").post(url + "/resume").json["status"] == "active"
    assert api.as_("c1_admin").post(f"{partners_url(world, 'c1')}/{m1}/suspend").json["suspended_by"] == "community"
    assert api.as_("m1_owner").post(url + "/resume").status_code == 409


def test_terms_change_for_the_future(api, world):
    url = f"{partners_url(world, 'c1')}/{world.slugs['m1']}"
    response = api.as_("c1_admin").request(
        "PATCH", url, json={"point_value": {"amount": "0.12", "currency": "CNY"}})
    assert response.status_code == 200, response.json
    assert response.json["point_value"]["amount"] == "0.12"


def test_cross_tenant_partnerships_are_404(api, world):
    m1 = world.slugs["m1"]
    # c3 has no partnership with m1; c2's admin cannot reach c1's
    assert api.as_("c3_admin").get(f"{partners_url(world, 'c3')}/{m1}").status_code == 404
    assert api.as_("c2_admin").get(f"{partners_url(world, 'c1')}/{m1}").status_code == 404
    # m2's people get 404 on m1's routes, as if m1 did not exist
    for path in ("", "/partners", "/offers", "/redemptions"):
        assert api.as_("m2_owner").get(f"/api/v1/merchants/{m1}{path}").status_code == 404, path
    assert api.as_("c1_red").get(f"/api/v1/merchants/{m1}").status_code == 404
    assert api.as_("m2_owner").post(f"/api/v1/merchants/{m1}/partners/{world.slugs['c1']}/suspend").status_code == 404
    # m2 lists only its own partnerships
    items = api.as_("m2_owner").get(f"/api/v1/merchants/{world.slugs['m2']}/partners").json["items"]
    assert {p["community"] for p in items} == {world.slugs["c2"]}


def test_self_registered_merchant_waits_for_approval(api, app, world):
    from merchants.partners.actions import do_register_merchant

    with app.app_context():
        do_register_merchant("pending-shop", "待审小店", {"login": "pending_owner", "password": "long-enough-1", "name": "店主"})
    assert api.as_("c3_admin").post(partners_url(world, "c3"), json={
        "merchant": "pending-shop", "point_value": {"amount": "0.10", "currency": "CNY"}}).json["code"] == "merchant_not_active"
    assert api.as_("c1_admin").post("/api/v1/merchants/pending-shop/approval").status_code == 403
    approved = api.as_("d2_admin").post("/api/v1/merchants/pending-shop/approval")
    assert approved.status_code == 200
    assert approved.json["status"] == "active"
    assert api.as_("c3_admin").post(partners_url(world, "c3"), json={
        "merchant": "pending-shop", "point_value": {"amount": "0.10", "currency": "CNY"}}).status_code == 201


def test_owner_adds_counter_staff(api, world):
    url = f"/api/v1/merchants/{world.slugs['m2']}/staff"
    body = {"login": "m2_till", "password": "long-enough-1", "name": "收银员"}
    assert api.as_("m2_owner").post(url, json=body).status_code == 201
    assert api.as_("m2_owner").post(url, json=body).status_code == 409
    assert api.as_("m1_staff").post(f"/api/v1/merchants/{world.slugs['m1']}/staff",
                                    json={**body, "login": "x_till"}).status_code == 403
