"""Every route of rules, awards, claims and record cards, tried across communities.

Two ways in: a member of c2 asking for c1's addresses, and a member of c1 asking under its
own community for c2's rows (ids in the URL). Both must answer 404 and change nothing. The
route list comes from the app, so a new route cannot skip this test.
"""

from tests.helpers import csrf_token

PAGE_BLUEPRINTS = ("rules.", "claims.", "records.")
API_BLUEPRINTS = ("api_rules.", "api_awards.", "api_claims.")


def routes(app, prefixes):
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(prefixes):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((rule, method))
    return found


def url_for_rule(rule, world, community, ids_from):
    path = rule.rule
    values = {"community": world.slugs[community]}
    for name in rule.arguments - {"community"}:
        values[name] = str(world.extra["url_args"][ids_from][name])
    for name, value in values.items():
        path = path.replace(f"<{name}>", value)
    assert "<" not in path, path
    return path


def test_every_page_route_is_404_for_another_community(app, web, world, counts):
    pairs = routes(app, PAGE_BLUEPRINTS)
    assert len(pairs) >= 15
    web.login("c2_admin")
    token = csrf_token(web.get(f"/c/{world.slugs['c2']}/rules/new").get_data(as_text=True))
    before = counts()
    for rule, method in pairs:
        for community, ids_from in (("c1", "c1"), ("c2", "c1")):
            url = url_for_rule(rule, world, community, ids_from)
            if community == "c2" and not (rule.arguments - {"community"}):
                continue  # c2's own page without ids: not a cross-tenant request
            if method == "GET":
                response = web.get(url)
            else:
                response = web.client.post(url, data={"csrf_token": token, "claims": [
                    str(world.ids["claim:c1"])], "decision": "approve", "reason": "x"})
            assert response.status_code == 404, (method, url, response.status_code)
    assert counts() == before


def api_body(rule, method, world):
    """A body that would pass validation, so only the community decides the answer."""
    path = rule.rule
    if method == "GET":
        return None
    if path.endswith("/awards"):
        return {"member": str(world.member_id("c1_red")), "rule": "cleanup", "quantity": 1}
    if path.endswith("/rules"):
        return {"code": "x", "name": "x", "points": 1}
    if path.endswith("/decisions"):
        return {"claims": [str(world.ids["claim:c1"])], "decision": "approve"}
    if path.endswith("/claims"):
        return {"rule": "cleanup", "note": "x"}
    if path.endswith("/reject"):
        return {"reason": "x"}
    return {}


def test_every_api_route_is_404_for_another_community(app, api, world, counts):
    pairs = routes(app, API_BLUEPRINTS)
    assert len(pairs) >= 9
    before = counts()
    for rule, method in pairs:
        for community, ids_from in (("c1", "c1"), ("c2", "c1")):
            if community == "c2" and not (rule.arguments - {"community"}):
                continue
            url = url_for_rule(rule, world, community, ids_from)
            for body in (api_body(rule, method, world), {}):
                if method == "GET" and body == {}:
                    continue
                response = api.as_("c2_admin").request(method, url, json=body)
                assert response.status_code == 404, (method, url, body, response.json)
    assert counts() == before


def test_decisions_on_another_communitys_claims_are_404(api, world, counts):
    before = counts()
    response = api.as_("c2_admin").post(f"/api/v1/c/{world.slugs['c2']}/claims/decisions", json={
        "claims": [str(world.ids["claim:c1"])], "decision": "approve"})
    assert response.status_code == 404
    assert counts() == before


def test_a_resident_cannot_reach_another_residents_things(web, world):
    slug = world.slugs["c1"]
    web.login("c1_red")
    blue_claim = world.ids["claim:c1"]
    for url in (f"/c/{slug}/members/{world.member_id('c1_blue')}/card",
                f"/c/{slug}/members/{world.member_id('c1_blue')}/card/print",
                f"/c/{slug}/claims/{blue_claim}", f"/c/{slug}/claims/{blue_claim}/photo"):
        assert web.get(url).status_code == 404, url
