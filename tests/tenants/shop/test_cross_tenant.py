"""Every shop, card, assisted-mode and inbox route, web and API: a user of another community
gets 404, and a community's own users get 404 for another community's ids in its URLs."""

from datetime import time

import pytest

from tenants.shop import actions
from tenants.shop.queries import item_by_id
from tests.helpers import csrf_token
from tests.tenants.shop.conftest import give, inside, member, row_counts

BLUEPRINTS = {"shop", "cards", "notifications", "api_shop"}


def _rows(app, world, name):
    """One of each resource in community ``name``: item, order, member, window."""
    with inside(app, world, name) as c:
        give(world, f"{name}_red", 15, community=name)
        red = member(world, f"{name}_red")
        item = item_by_id(world.ids[f"item:{name}:rice"])
        order = actions.do_place_order(c, item, red, 1, actor=red.user)
        window = actions.do_add_weekly_window(c, weekday=0, opens=time(0), closes=time(23, 59), actor=None)
        return {"item_id": item.id, "order_id": order.id, "member_id": red.id, "window_id": window.id}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in BLUEPRINTS:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def _url(app, rule, slug, ids):
    values = {"community": slug, **{arg: ids[arg] for arg in rule.arguments if arg != "community"}}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def test_the_walk_finds_every_kind_of_route(app):
    endpoints = {rule.endpoint for rule, _m in _routes(app)}
    assert {"shop.item", "shop.order_qr", "shop.order_for", "cards.resident", "api_shop.OrderCancel",
            "api_shop.WindowDetail", "notifications.index"} <= endpoints
    args = {a for rule, _m in _routes(app) for a in rule.arguments}
    assert args == {"community", "item_id", "order_id", "member_id", "window_id"}


def test_users_of_another_community_get_404_everywhere(app, world, web, api):
    ids = _rows(app, world, "c1")
    before = row_counts(app, world)
    web.login("c2_admin")
    token = csrf_token(web.get(f"/c/{world.slugs['c2']}/shop/").get_data(as_text=True))
    checked = 0
    for rule, method in _routes(app):
        url = _url(app, rule, world.slugs["c1"], ids)
        if rule.endpoint.startswith("api_"):
            response = api.as_("c2_admin").request(method, url, json={} if method == "POST" else None)
        else:
            response = web.client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 404, (method, url, response.status_code)
        checked += 1
    assert checked > 30
    assert row_counts(app, world) == before


def test_another_communitys_ids_are_404_in_this_community(app, world, web, api):
    _rows(app, world, "c1")
    foreign = _rows(app, world, "c2")
    before = row_counts(app, world)
    web.login("c1_admin")
    token = csrf_token(web.get(f"/c/{world.slugs['c1']}/shop/").get_data(as_text=True))
    checked = 0
    for rule, method in _routes(app):
        if len(rule.arguments) < 2:
            continue  # no id in the URL
        url = _url(app, rule, world.slugs["c1"], foreign)
        if rule.endpoint.startswith("api_"):
            response = api.as_("c1_admin").request(method, url, json={"delta": 1} if method == "POST" else None)
        else:
            response = web.client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 404, (method, url, response.status_code)
        checked += 1
    assert checked > 15
    assert row_counts(app, world) == before


@pytest.mark.parametrize("who", ["c2_red", "c2_grid"])
def test_c2_people_cannot_see_c1_orders_by_code(app, world, api, who):
    ids = _rows(app, world, "c1")
    with inside(app, world, "c1"):
        from tenants.shop.queries import order_by_id

        code = order_by_id(ids["order_id"]).pickup_code
    response = api.as_(who).get(f"/api/v1/c/{world.slugs['c1']}/shop/orders", query_string={"code": code})
    assert response.status_code == 404
    own = api.as_(who).get(f"/api/v1/c/{world.slugs['c2']}/shop/orders", query_string={"code": code})
    assert own.status_code == 200 and own.json["items"] == []
