"""Every route of the district pages (dashboards, figures API, onboarding, templates,
invitations, exports, recognition), requested with another tenant's identifiers, answers as
if the thing did not exist: 404 (403 where the role is missing), never a 5xx, and the body
names nothing of the other tenant.

The walk covers every URL rule of these blueprints, so a new route is tested without anyone
writing a test; a path argument nobody said how to fill fails here. Victim values come from
``world.extra["url_args"]["c2"]`` (tests/tenants/onboarding/world.py).
"""

import pytest
from sqlalchemy import select

from core.extensions import db
from core.identity.models import Member, User
from core.tenancy.context import all_communities
from core.tenancy.models import Community, District
from tests.helpers import csrf_token
from tests.world import PASSWORD

BLUEPRINTS = ("reports", "district_reports", "api_district_figures", "onboarding", "join",
              "exports", "recognition", "district_recognition")
REALM = {"community": "c2", "district": "d2"}
OWN = {"community": "c1", "district": "d1"}
ATTACKERS = {"community": ["c1_admin", "c1_red", "d1_admin"], "district": ["d1_admin", "c1_admin"]}


def our_rules(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in BLUEPRINTS]
    assert len(rules) > 40, "the walk found too few routes"
    return sorted(rules, key=lambda r: (r.rule, r.endpoint))


def c2_rows(app, world):
    """A shop item and a rule of c2 (made by the shop's and the rules' world steps), and a
    rule template of d2 made here (rolled back: the rules' tests expect d2 to have none)."""
    from core.tenancy.context import use_community
    from tenants.onboarding.rule_templates import do_create_rule_template
    from tenants.rules.models import Rule
    from tenants.shop.models import ShopItem

    with app.app_context(), use_community(world.ids["c2"]):
        template = do_create_rule_template(db.session.get(District, world.ids["d2"]), code="d2-cleanup",
                                           actor=None, name="d2 清扫模板", points=2, unit="each")
        found = {"item_id": ("community", str(db.session.scalar(select(ShopItem.id).limit(1)))),
                 "rule_id": ("community", str(db.session.scalar(select(Rule.id).limit(1)))),
                 "rule_template_id": ("district", str(template.id))}
        db.session.remove()
    return found


def victim_values(world, names, extra):
    table = {"community": ("community", world.slugs["c2"]), "district": ("district", world.slugs["d2"]),
             **extra}
    for name, value in world.extra["url_args"]["c2"].items():
        table.setdefault(name, ("district" if name.endswith("template_id") else "community", str(value)))
    missing = [n for n in names if n not in table]
    assert not missing, f"no victim value for {missing}: add it to world.extra['url_args']"
    return {n: table[n] for n in names}


def secrets(app, world):
    with app.app_context(), all_communities():
        c2 = db.session.get(Community, world.ids["c2"])
        d2 = db.session.get(District, world.ids["d2"])
        people = db.session.execute(
            select(Member.name, User.login).join(User, User.id == Member.user_id)
            .where(Member.community_id == c2.id)).all()
        found = {c2.name, c2.slug, d2.name, d2.slug, "c2-list.xlsx", "c2 待导入居民", "d2 大米模板", "d2 清扫模板"}
        found |= {v for row in people for v in row}
        db.session.remove()
    return found


class Clients:
    def __init__(self, app):
        self.app, self.clients = app, {}

    def web(self, who):
        if who not in self.clients:
            client = self.app.test_client()
            if who != "anonymous":
                page = client.get("/login").get_data(as_text=True)
                response = client.post("/login", data={"csrf_token": csrf_token(page), "login": who,
                                                       "password": PASSWORD})
                assert response.status_code == 302, who
            self.clients[who] = client
        return self.clients[who]

    def send(self, world, who, method, url):
        if url.startswith("/api/"):
            headers = {} if who == "anonymous" else {"Authorization": f"Bearer {world.tokens[who]}"}
            kwargs = {} if method == "GET" else {"json": {}}
            return self.app.test_client().open(url, method=method, headers=headers, **kwargs)
        client = self.web(who)
        if method == "GET":
            return client.open(url, method=method)
        page = client.get("/login" if who == "anonymous" else "/me").get_data(as_text=True)
        return client.open(url, method=method, data={"csrf_token": csrf_token(page)})


def probes(rule, world, extra):
    names = sorted(rule.arguments)
    values = victim_values(world, names, extra)
    realms = {realm for realm, _v in values.values()}
    victim_url = rule.build({n: v for n, (_r, v) in values.items()}, append_unknown=False)[1]
    out = []
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        if not names:
            # nothing of a tenant in the path (the export list, starting an export)
            for who in ("c1_admin", "d1_admin"):
                out.append((who, method, victim_url, None))
            continue
        out.append(("anonymous", method, victim_url, {401, 403, 404, "login"}))
        for realm in realms:
            for who in ATTACKERS.get(realm, []):
                out.append((who, method, victim_url, {403, 404}))
        # the attacker's own district/community in the path, the victim's objects (or the
        # victim's community inside the attacker's own district) after it
        for swap in ("district", "community"):
            if swap in names and len(names) > 1:
                own = {n: v for n, (_r, v) in values.items()}
                own[swap] = world.slugs[OWN[swap]]
                url = rule.build(own, append_unknown=False)[1]
                allowed = {403, 404} | ({422} if method != "GET" else set())
                who = "d1_admin" if "district" in names or swap == "district" else "c1_admin"
                out.append((who, method, url, allowed))
    return out


def ok(response, allowed):
    if allowed is None:
        return response.status_code < 500
    if "login" in allowed and response.status_code in (302, 303):
        return response.headers["Location"].split("?")[0].endswith("/login")
    return response.status_code in allowed


def test_every_district_page_refuses_the_other_tenant(app, rollback, world):
    clients = Clients(app)
    hidden = secrets(app, world)
    extra = c2_rows(app, world)
    failures, count = [], 0
    for rule in our_rules(app):
        for who, method, url, allowed in probes(rule, world, extra):
            count += 1
            response = clients.send(world, who, method, url)
            body = response.get_data(as_text=True)
            leaks = sorted(s for s in hidden if s and s not in url and s in body)
            if not ok(response, allowed) or leaks:
                failures.append(f"{method} {url} as {who}: {response.status_code} (allowed {allowed}) leaks={leaks}")
    assert count > 150
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", [
    "/d/{d1}/dashboard", "/d/{d1}/onboard/", "/d/{d1}/templates/shop", "/d/{d1}/templates/rules",
    "/d/{d1}/recognition", "/d/{d1}/onboard/{c1}/", "/d/{d1}/onboard/{c1}/residents",
])
def test_the_district_admin_reaches_their_own_pages(web, world, path):
    """The refusals above are not a page that refuses everyone."""
    web.login("d1_admin")
    response = web.get(path.format(d1=world.slugs["d1"], c1=world.slugs["c1"]))
    assert response.status_code == 200


def test_a_community_of_another_district_is_not_found_under_ones_own(web, world):
    web.login("d1_admin")
    d1, c2 = world.slugs["d1"], world.slugs["c2"]
    for path in ("", "shop", "rules", "invitations", "residents", f"residents/{world.ids['batch:c2']}"):
        assert web.get(f"/d/{d1}/onboard/{c2}/{path}").status_code == 404, path


def test_the_figures_api_answers_404_for_another_district(api, world):
    response = api.as_("d1_admin").get(f"/api/v1/districts/{world.slugs['d2']}/figures?month=2025-05")
    assert response.status_code == 404
    # a malformed month does not turn the 404 into a 422 (which would say the district exists)
    response = api.as_("d1_admin").get(f"/api/v1/districts/{world.slugs['d2']}/figures?month=bad")
    assert response.status_code == 404
    assert api.as_("c1_admin").get(f"/api/v1/districts/{world.slugs['d1']}/figures").status_code == 404


def test_someone_elses_export_is_not_found(web, world):
    job = world.ids["job:c2"]
    web.login("c2_admin")
    assert web.get(f"/exports/{job}").status_code == 200  # the owner sees it...
    web.logout()
    web.login("c1_admin")
    for path in ("", "/status", "/file"):
        assert web.get(f"/exports/{job}{path}").status_code == 404  # ...nobody else does
