"""Offers: merchants publish to partner communities only; residents see only offers open to
their own community."""

from datetime import timedelta

import pytest

from core.types import utcnow
from merchants.offers.models import Offer
from tests.merchants.helpers import award, count, offers_url


def offer_body(world, **extra):
    now = utcnow()
    return {
        "title": "午餐八折", "kind": "voucher", "points": 100,
        "valid_from": (now - timedelta(hours=1)).isoformat(),
        "valid_until": (now + timedelta(days=10)).isoformat(),
        "quantity": 30, "per_member_limit": 1,
        "communities": [world.slugs["c1"], world.slugs["c2"]], **extra,
    }


def merchant_offers(world, m="m1"):
    return f"/api/v1/merchants/{world.slugs[m]}/offers"


def test_owner_publishes_an_offer_for_partner_communities(api, world):
    response = api.as_("m1_owner").post(merchant_offers(world), json=offer_body(
        world, market_price={"amount": "35.00", "currency": "CNY"},
        offer_price={"amount": "28", "currency": "CNY"}, terms="每桌一张"))
    assert response.status_code == 201, response.json
    offer = response.json
    assert offer["status"] == "published" and offer["phase"] == "open"
    assert sorted(offer["communities"]) == sorted([world.slugs["c1"], world.slugs["c2"]])
    assert offer["saving"] == {"amount": "7.00", "currency": "CNY"}
    for c in ("c1", "c2"):
        titles = [o["title"] for o in api.as_(f"{c}_red").get(offers_url(world, c)).json["items"]]
        assert "午餐八折" in titles, c
    assert "午餐八折" not in [o["title"] for o in api.as_("c3_red").get(offers_url(world, "c3")).json["items"]]


def test_draft_is_not_shown_until_published(api, world):
    draft = api.as_("m1_owner").post(merchant_offers(world), json=offer_body(world, status="draft")).json
    assert draft["status"] == "draft"
    assert draft["id"] not in [o["id"] for o in api.as_("c1_red").get(offers_url(world, "c1")).json["items"]]
    assert api.as_("c1_red").get(f"{offers_url(world, 'c1')}/{draft['id']}").status_code == 404
    published = api.as_("m1_owner").post(f"{merchant_offers(world)}/{draft['id']}/status", json={"status": "published"})
    assert published.json["status"] == "published"
    assert draft["id"] in [o["id"] for o in api.as_("c1_red").get(offers_url(world, "c1")).json["items"]]


def test_a_community_that_is_not_a_partner_is_422_and_nothing_is_written(api, app, world):
    before = count(app, Offer)
    response = api.as_("m1_owner").post(merchant_offers(world), json=offer_body(
        world, communities=[world.slugs["c1"], world.slugs["c3"]]))
    assert response.status_code == 422
    assert "communities" in response.json["errors"]
    assert world.slugs["c3"] in response.json["detail"]
    unknown = api.as_("m1_owner").post(merchant_offers(world), json=offer_body(world, communities=["nowhere"]))
    assert unknown.status_code == 422
    assert count(app, Offer) == before


@pytest.mark.parametrize("change, field", [
    ({"points": 0}, "points"), ({"points": "100"}, "points"), ({"points": 1.5}, "points"),
    ({"kind": "coupon"}, "kind"), ({"quantity": -1}, "quantity"), ({"communities": []}, "communities"),
    ({"valid_until": "2020-01-01T00:00:00+08:00"}, "valid_until"),
    ({"valid_from": "2030-01-01T00:00:00"}, "valid_from"),  # no offset: refused, never guessed
    ({"title": ""}, "title"), ({"market_price": {"amount": "1.234", "currency": "CNY"}}, "market_price"),
    ({"per_member_limit": 0}, "per_member_limit"), ({"status": "ended"}, "status"),
])
def test_bad_offer_input_is_422_naming_the_field(api, app, world, change, field):
    before = count(app, Offer)
    response = api.as_("m1_owner").post(merchant_offers(world), json=offer_body(world, **change))
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json
    assert count(app, Offer) == before


def test_only_the_owner_creates_and_other_merchants_get_404(api, world):
    assert api.as_("m1_staff").post(merchant_offers(world), json=offer_body(world)).status_code == 403
    assert api.as_("m2_owner").post(merchant_offers(world), json=offer_body(world)).status_code == 404
    m1_offer = world.ids["offer:m1_meal"]
    assert api.as_("m2_owner").get(f"{merchant_offers(world, 'm2')}/{m1_offer}").status_code == 404
    assert api.as_("m2_owner").get(f"{merchant_offers(world)}/{m1_offer}").status_code == 404
    assert api.as_("m1_staff").get(f"{merchant_offers(world)}/{m1_offer}").status_code == 200


def test_residents_see_only_offers_targeted_at_their_community(api, world):
    c1 = {o["id"] for o in api.as_("c1_red").get(offers_url(world, "c1")).json["items"]}
    c2 = {o["id"] for o in api.as_("c2_red").get(offers_url(world, "c2")).json["items"]}
    meal, kit, tea = (str(world.ids[f"offer:{n}"]) for n in ("m1_meal", "m1_kit", "m2_tea"))
    assert {meal, kit} <= c1 and tea not in c1
    assert {meal, tea} <= c2 and kit not in c2
    # a c1-only offer is "not found" for c2, and a community one is not a member of is 404
    assert api.as_("c2_red").get(f"{offers_url(world, 'c2')}/{kit}").status_code == 404
    assert api.as_("c2_red").get(f"{offers_url(world, 'c1')}/{kit}").status_code == 404
    assert api.as_("c1_red").get(f"{offers_url(world, 'c1')}/{kit}").status_code == 200
    assert api.as_("c1_red").get(f"{offers_url(world, 'c1')}/not-an-id").status_code == 404


def test_browse_by_category_ending_soon_and_within_my_points(api, app, world):
    url = offers_url(world, "c1")
    soon = api.as_("m1_owner").post(merchant_offers(world), json=offer_body(
        world, title="Ends tomorrow", points=10, communities=[world.slugs["c1"]],
        valid_until=(utcnow() + timedelta(days=1)).isoformat())).json
    first = api.as_("c1_red").get(url + "?order=ending_soon").json["items"][0]
    assert first["id"] == soon["id"]
    award(app, world, "c1_red", 40)
    affordable = {o["title"] for o in api.as_("c1_red").get(url + "?affordable=true").json["items"]}
    assert affordable == {"Ends tomorrow", "Medicine kit"}  # 10 and 30 points, not the 100-point meal
    assert api.as_("c1_red").get(url + "?category=nothing-here").json["items"] == []
    assert api.as_("c1_red").get(url + "?order=sideways").status_code == 422


def test_a_suspended_partnership_hides_the_merchants_offers(api, world):
    api.as_("c1_admin").post(f"/api/v1/c/{world.slugs['c1']}/partners/{world.slugs['m1']}/suspend")
    ids = {o["id"] for o in api.as_("c1_red").get(offers_url(world, "c1")).json["items"]}
    assert str(world.ids["offer:m1_meal"]) not in ids
    still = {o["id"] for o in api.as_("c2_red").get(offers_url(world, "c2")).json["items"]}
    assert str(world.ids["offer:m1_meal"]) in still


def test_lists_are_paginated(api, world):
    url = offers_url(world, "c1")
    first = api.as_("c1_red").get(url + "?limit=1").json
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = api.as_("c1_red").get(url + f"?limit=1&cursor={first['next_cursor']}").json
    assert second["items"][0]["id"] != first["items"][0]["id"]
