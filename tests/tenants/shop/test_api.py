"""The shop's API: the API.md contract, errors as problem+json, Idempotency-Key."""

import uuid

import pytest

from tenants.shop import actions
from tests.tenants.shop.conftest import balance_of, give, inside, row_counts, stock_of


@pytest.fixture
def base(world):
    return f"/api/v1/c/{world.slugs['c1']}/shop"


def new_item(app, world, community="c1", **kw):
    values = {"name": "api rice", "points": 15, "stock": 5, **kw}
    with inside(app, world, community) as c:
        return actions.do_create_item(c, actor=None, **values).id


def test_admin_puts_an_item_on_the_shelf(api, base, app, world):
    response = api.as_("c1_admin").post(f"{base}/items", json={"name": "大米", "points": 15, "stock": 20})
    assert response.status_code == 201, response.json
    assert response.json["name"] == "大米"
    assert response.json["per_member_limit"] is None  # API.md: no limit unless set
    assert response.json["active"] is True
    listed = api.as_("c1_red").get(f"{base}/items").json
    assert response.json["id"] in [i["id"] for i in listed["items"]]
    assert "next_cursor" in listed


@pytest.mark.parametrize("who", ["c1_red", "c1_grid"])
def test_only_admins_create_items(api, base, who):
    response = api.as_(who).post(f"{base}/items", json={"name": "x", "points": 1, "stock": 1})
    assert response.status_code == 403
    assert response.json["code"] == "forbidden"


@pytest.mark.parametrize("body, field", [
    ({"name": "x", "points": "15", "stock": 1}, "points"),
    ({"name": "x", "points": 0, "stock": 1}, "points"),
    ({"name": "x", "points": 1.5, "stock": 1}, "points"),
    ({"name": "x", "points": 1, "stock": -1}, "stock"),
    ({"name": "x", "points": 1, "stock": 10**12}, "stock"),
    ({"name": "", "points": 1, "stock": 1}, "name"),
    ({"points": 1, "stock": 1}, "name"),
    ({"name": "x", "points": 1, "stock": 1, "per_member_limit": 0}, "per_member_limit"),
    ({"name": "x", "points": 1, "stock": 1, "price": 3}, "price"),
])
def test_bad_items_are_422_naming_the_field(api, base, app, world, body, field):
    before = row_counts(app, world)
    response = api.as_("c1_admin").post(f"{base}/items", json=body)
    assert response.status_code == 422, response.json
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert field in response.json["errors"]
    assert row_counts(app, world) == before


def test_member_orders_for_themself(api, base, app, world):
    item_id = new_item(app, world)
    with inside(app, world):
        give(world, "c1_red", 40)
    response = api.as_("c1_red").post(f"{base}/orders", json={"item": str(item_id), "quantity": 2})
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["status"], body["points"], body["quantity"], body["balance"]) == ("reserved", 30, 2, 10)
    assert body["member"] == str(world.member_id("c1_red"))
    assert len(body["pickup_code"]) == 8
    assert stock_of(app, world, item_id) == 3
    ledger = api.as_("c1_red").get(
        f"/api/v1/c/{world.slugs['c1']}/members/{world.member_id('c1_red')}/ledger").json
    assert ledger["entries"][0]["points"] == -30
    assert "api rice" in ledger["entries"][0]["reason"]


def test_staff_order_for_a_member_and_counter_sale(api, base, app, world):
    item_id = new_item(app, world, points=40, stock=3)
    with inside(app, world):
        give(world, "c1_blue", 80)
    member = str(world.member_id("c1_blue"))
    reserved = api.as_("c1_grid").post(f"{base}/orders", json={"item": str(item_id), "member": member})
    assert reserved.status_code == 201, reserved.json
    assert reserved.json["placed_by"] == str(world.ids["user:c1_grid"])
    sold = api.as_("c1_grid").post(f"{base}/orders", json={"item": str(item_id), "member": member,
                                                           "collect": True})
    assert sold.status_code == 201
    assert sold.json["status"] == "collected" and sold.json["at_counter"] is True
    assert balance_of(app, world, "c1_blue") == 0


def test_residents_cannot_order_for_others_or_sell_at_the_counter(api, base, app, world):
    item_id = new_item(app, world)
    with inside(app, world):
        give(world, "c1_red", 40)
        give(world, "c1_blue", 40)
    before = row_counts(app, world)
    other = api.as_("c1_red").post(f"{base}/orders", json={"item": str(item_id),
                                                           "member": str(world.member_id("c1_blue"))})
    assert other.status_code == 422
    assert other.json["code"] == "unknown_member"
    counter = api.as_("c1_red").post(f"{base}/orders", json={"item": str(item_id), "collect": True})
    assert counter.status_code == 403
    assert row_counts(app, world) == before


@pytest.mark.parametrize("quantity", [0, -1, 100, 10**12, "1", 1.5, True, None])
def test_bad_quantity_is_422_and_writes_nothing(api, base, app, world, quantity):
    item_id = new_item(app, world)
    with inside(app, world):
        give(world, "c1_red", 1000)
    before = row_counts(app, world)
    response = api.as_("c1_red").post(f"{base}/orders", json={"item": str(item_id), "quantity": quantity})
    assert response.status_code == 422, response.json
    assert "quantity" in response.json["errors"]
    assert row_counts(app, world) == before
    assert balance_of(app, world, "c1_red") == 1000


@pytest.mark.parametrize("item", ["nope", 12, None, str(uuid.uuid4()), "c2-item"])
def test_unknown_or_foreign_item_is_422(api, base, app, world, item):
    if item == "c2-item":
        item = str(world.ids["item:c2:rice"])
    with inside(app, world):
        give(world, "c1_red", 100)
    before = row_counts(app, world)
    response = api.as_("c1_red").post(f"{base}/orders", json={"item": item})
    assert response.status_code == 422, response.json
    assert "item" in response.json["errors"]
    assert row_counts(app, world) == before
    assert stock_of(app, world, world.ids["item:c2:rice"], "c2") == 20


def test_malformed_json_is_4xx_not_500(api, base):
    response = api.as_("c1_red").post(f"{base}/orders", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert response.json["code"]


@pytest.mark.parametrize("setup, code", [
    ("poor", "insufficient_points"),
    ("empty", "out_of_stock"),
    ("closed", "shop_closed"),
    ("limit", "limit_reached"),
])
def test_conflicts_are_409_with_a_stable_code(api, base, app, world, setup, code):
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    item_id = new_item(app, world, stock=0 if setup == "empty" else 5,
                       per_member_limit=1 if setup == "limit" else None)
    with inside(app, world) as c1:
        give(world, "c1_red", 10 if setup == "poor" else 100)
        if setup == "closed":  # a window on another weekday than today
            today = datetime.now(ZoneInfo(c1.timezone)).weekday()
            actions.do_add_weekly_window(c1, weekday=(today + 3) % 7, opens=time(9), closes=time(10), actor=None)
    if setup == "limit":
        assert api.as_("c1_red").post(f"{base}/orders", json={"item": str(item_id)}).status_code == 201
    before = row_counts(app, world)
    response = api.as_("c1_red").post(f"{base}/orders", json={"item": str(item_id)})
    assert response.status_code == 409, response.json
    assert response.json["code"] == code
    assert response.json["detail"]
    assert row_counts(app, world) == before
    if setup == "closed":
        status = api.as_("c1_red").get(f"{base}/status").json
        assert status["open"] is False
        opens = datetime.fromisoformat(status["next_opening"])
        assert timedelta(0) < opens - datetime.now(opens.tzinfo) < timedelta(days=7)


def test_idempotency_key_replays_and_moves_points_once(api, base, app, world):
    item_id = new_item(app, world)
    with inside(app, world):
        give(world, "c1_red", 100)
    client = api.as_("c1_red")
    headers = {"Idempotency-Key": "order-1"}
    first = client.post(f"{base}/orders", json={"item": str(item_id)}, headers=headers)
    again = client.post(f"{base}/orders", json={"item": str(item_id)}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    changed = client.post(f"{base}/orders", json={"item": str(item_id), "quantity": 2}, headers=headers)
    assert changed.status_code == 409
    assert changed.json["code"] == "idempotency_key_reused"
    assert balance_of(app, world, "c1_red") == 85
    assert stock_of(app, world, item_id) == 4


def test_collect_cancel_and_who_may(api, base, app, world):
    item_id = new_item(app, world)
    with inside(app, world):
        give(world, "c1_red", 30)
    first = api.as_("c1_red").post(f"{base}/orders", json={"item": str(item_id)}).json
    second = api.as_("c1_red").post(f"{base}/orders", json={"item": str(item_id)}).json
    assert api.as_("c1_red").post(f"{base}/orders/{first['id']}/collect").status_code == 403
    assert api.as_("c1_blue").post(f"{base}/orders/{first['id']}/cancel").status_code == 404
    collected = api.as_("c1_grid").post(f"{base}/orders/{first['id']}/collect")
    assert collected.status_code == 200 and collected.json["status"] == "collected"
    again = api.as_("c1_grid").post(f"{base}/orders/{first['id']}/collect")
    assert again.status_code == 409 and again.json["code"] == "order_closed"
    cancelled = api.as_("c1_red").post(f"{base}/orders/{second['id']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json["status"] == "cancelled" and cancelled.json["balance"] == 15
    assert stock_of(app, world, item_id) == 4
    mine = api.as_("c1_red").get(f"{base}/orders").json["items"]
    assert {o["id"] for o in mine} >= {first["id"], second["id"]}
    assert api.as_("c1_blue").get(f"{base}/orders").json["items"] == []
    by_code = api.as_("c1_grid").get(f"{base}/orders", query_string={"code": second["pickup_code"].lower()})
    assert [o["id"] for o in by_code.json["items"]] == [second["id"]]


def test_order_lists_paginate_newest_first(api, base, app, world):
    item_id = new_item(app, world, points=1, stock=10)
    with inside(app, world):
        give(world, "c1_red", 10)
    ids = [api.as_("c1_red").post(f"{base}/orders", json={"item": str(item_id)}).json["id"] for _ in range(5)]
    page = api.as_("c1_red").get(f"{base}/orders", query_string={"limit": 2}).json
    assert [o["id"] for o in page["items"]] == ids[::-1][:2]
    rest = api.as_("c1_red").get(f"{base}/orders", query_string={"limit": 10, "cursor": page["next_cursor"]}).json
    assert [o["id"] for o in rest["items"]][:3] == ids[::-1][2:]
    bad = api.as_("c1_red").get(f"{base}/orders", query_string={"cursor": "garbage!"})
    assert bad.status_code == 422


def test_windows_through_the_api(api, base):
    admin = api.as_("c1_admin")
    bad = admin.post(f"{base}/windows", json={"kind": "weekly", "weekday": 7, "opens": "09:00", "closes": "08:00"})
    assert bad.status_code == 422
    created = admin.post(f"{base}/windows", json={"kind": "dated", "starts_at": "2030-06-01T08:00:00+08:00",
                                                  "ends_at": "2030-06-15T18:00:00+08:00"})
    assert created.status_code == 201, created.json
    assert api.as_("c1_red").get(f"{base}/status").json["open"] is False
    window = {"kind": "weekly", "weekday": 1, "opens": "09:00", "closes": "10:00"}
    assert api.as_("c1_red").post(f"{base}/windows", json=window).status_code == 403
    assert admin.request("DELETE", f"{base}/windows/{created.json['id']}").status_code == 204
    assert api.as_("c1_red").get(f"{base}/status").json["open"] is True


def test_openapi_documents_the_shop(api):
    spec = api.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    assert "/api/v1/c/{community}/shop/orders" in paths
    assert "409" in paths["/api/v1/c/{community}/shop/orders"]["post"]["responses"]
    assert "/api/v1/c/{community}/shop/orders/{order_id}/cancel" in paths
