"""Every route, requested by one tenant with another tenant's identifiers, answers as if the
thing did not exist (ARCHITECTURE.md: "each route gets a cross-tenant check").

The harness walks ``app.url_map``: new routes are covered without anyone writing a test, and a
route with a path argument the harness cannot fill fails here until tests/tenant_objects.py
(or a world step, in ``world.extra["url_args"]``) says what the other tenant's value is.

For each rule and each method it allows, the attacker (a tenant's own staff, and a district
admin next door) sends the other tenant's identifiers: the answer must be 404 or 403 (a
request without a session: 401, or a redirect to the login page), never a 5xx, and the body
must not name the other tenant. Bodies are empty (``{}`` for the API, a form with only a valid
CSRF token for pages): the tenant is resolved before the body is read, so an empty body must
already get the 404. The one exception is a route in the attacker's *own* community that
names another community's object in the path: there a 422 for the empty body is accepted,
because it says nothing about the object (the same 422 for every id).
"""

from dataclasses import dataclass

from sqlalchemy import select

from core.extensions import db
from core.identity.models import DistrictAdmin, Member, User
from core.tenancy.context import all_communities
from core.tenancy.models import Community, District
from merchants.partners.models import Merchant, MerchantUser
from tests.helpers import csrf_token
from tests.tenant_objects import community_objects
from tests.world import PASSWORD

# Rules no tenant can reach into, and why.
EXCLUDED = {
    "static": "serves the app's own files: no tenant data",
    "api-docs.openapi_json": "the public description of the API: no tenant data",
}
TEST_ONLY_PREFIX = "_test"  # routes that fail on purpose (tests/failing_routes.py)

# Which attackers try a realm, and whose identifiers they send.
REALMS = {
    "community": {"attackers": ["c1_admin", "c1_red", "d1_admin"], "victim": "c2", "own": "c1"},
    "district": {"attackers": ["d1_admin", "c1_admin"], "victim": "d2", "own": "d1"},
    "merchant": {"attackers": ["m1_owner", "m1_staff"], "victim": "m2", "own": "m1"},
}
# Path arguments naming a tenant: the victim's slug.
REALM_ARGUMENTS = {"community", "district", "merchant"}
NO_BODY_METHODS = {"GET", "DELETE"}


def argument_table(app, world) -> dict:
    """``{path argument: (realm, the victim's value)}``: the victims' slugs, and one real
    object of each kind in the victim community (tests/tenant_objects.py)."""
    table = {name: (name, world.slugs[REALMS[name]["victim"]]) for name in REALM_ARGUMENTS}
    victim = REALMS["community"]["victim"]
    for name, value in community_objects(app, world, victim).items():
        table[name] = ("community", value)
    return table


def tenant_rules(app):
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXCLUDED or rule.endpoint.startswith(TEST_ONLY_PREFIX):
            continue
        rules.append(rule)
    return sorted(rules, key=lambda r: r.rule)


def secrets_of(app, world) -> dict:
    """What would identify each victim: names, slugs, logins and ids (never shown across)."""
    with app.app_context(), all_communities():
        found = {}
        c2 = db.session.get(Community, world.ids["c2"])
        members = db.session.execute(
            select(Member.id, Member.name, User.login, User.name, User.id)
            .join(User, User.id == Member.user_id).where(Member.community_id == c2.id)
        ).all()
        found["c2"] = {c2.name, c2.slug, str(c2.id)} | {
            str(v) for row in members for v in row
        }
        d2 = db.session.get(District, world.ids["d2"])
        d2_admins = db.session.execute(
            select(User.login, User.name).join(DistrictAdmin, DistrictAdmin.user_id == User.id)
            .where(DistrictAdmin.district_id == d2.id)
        ).all()
        d2_communities = db.session.execute(
            select(Community.name, Community.slug).where(Community.district_id == d2.id)
        ).all()
        found["d2"] = {d2.name, d2.slug, str(d2.id)} | {v for row in d2_admins + d2_communities for v in row}
        m2 = db.session.get(Merchant, world.ids["m2"])
        m2_users = db.session.execute(
            select(User.login, User.name).join(MerchantUser, MerchantUser.user_id == User.id)
            .where(MerchantUser.merchant_id == m2.id)
        ).all()
        found["m2"] = {m2.name, m2.slug, str(m2.id)} | {v for row in m2_users for v in row}
        # what capabilities' world steps add (Stripe ids of the victims' rows...)
        for victim, values in world.extra.get("secrets", {}).items():
            found.setdefault(victim, set()).update(values)
        db.session.remove()
    return found


@dataclass
class Probe:
    rule: str
    method: str
    who: str
    url: str
    variant: str


class Requester:
    """One signed-in test client per person, HTML and API."""

    def __init__(self, app, world):
        self.app, self.world = app, world
        self.clients, self.tokens = {}, {}

    def web(self, who):
        if who not in self.clients:
            client = self.app.test_client()
            if who != "anonymous":
                page = client.get("/login").get_data(as_text=True)
                response = client.post("/login", data={
                    "csrf_token": csrf_token(page), "login": who, "password": PASSWORD})
                assert response.status_code == 302, (who, response.status_code)
            self.clients[who] = client
        return self.clients[who]

    def send(self, probe: Probe):
        is_api = probe.url.startswith("/api/")
        if is_api:
            headers = {}
            if probe.who != "anonymous":
                headers["Authorization"] = f"Bearer {self.world.tokens[probe.who]}"
            kwargs = {} if probe.method in NO_BODY_METHODS else {"json": {}}
            return self.app.test_client().open(probe.url, method=probe.method, headers=headers, **kwargs)
        client = self.web(probe.who)
        if probe.method in NO_BODY_METHODS:
            return client.open(probe.url, method=probe.method)
        return client.open(probe.url, method=probe.method, data={"csrf_token": self.token(probe.who)})

    def token(self, who):
        """The session's CSRF token (one per session: fetched once)."""
        if who not in self.tokens:
            page = self.web(who).get("/login" if who == "anonymous" else "/me")
            self.tokens[who] = csrf_token(page.get_data(as_text=True))
        return self.tokens[who]


def probes_for(rule, table, world):
    """(probe, allowed statuses) for one rule."""
    names = sorted(rule.arguments)
    unknown = [n for n in names if n not in table]
    if unknown:
        raise LookupError(unknown)
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
    realms = {table[n][0] for n in names}
    out = []
    for method in methods:
        if not names:
            # nothing of another tenant in the path: any answer but a 5xx, and no leak
            for who in ["anonymous", "c1_admin", "d1_admin", "m1_owner"]:
                url = rule.build({}, append_unknown=False)[1]
                out.append((Probe(rule.rule, method, who, url, "no-arguments"), None))
            continue
        victim_values = {n: table[n][1] for n in names}
        url = rule.build(victim_values, append_unknown=False)[1]
        out.append((Probe(rule.rule, method, "anonymous", url, "anonymous"), {401, 403, 404, 405, "login"}))
        for realm in realms:
            for who in REALMS[realm]["attackers"]:
                out.append((Probe(rule.rule, method, who, url, "their-tenant"), {403, 404, 405}))
        # the attacker's own tenant in the path, the victim's objects after it
        own_values = dict(victim_values)
        swapped = False
        for name in names:
            if name in REALM_ARGUMENTS:
                own_values[name] = world.slugs[REALMS[table[name][0]]["own"]]
                swapped = True
        if swapped and set(names) - REALM_ARGUMENTS:
            own_url = rule.build(own_values, append_unknown=False)[1]
            allowed = {403, 404, 405} | ({422} if method not in NO_BODY_METHODS else set())
            for realm in realms:
                for who in REALMS[realm]["attackers"]:
                    if who.startswith("d"):
                        continue  # a district admin has no "own community" in this sense
                    out.append((Probe(rule.rule, method, who, own_url, "own-tenant"), allowed))
    return out


def _status_ok(response, allowed) -> bool:
    if allowed is None:
        return response.status_code < 500
    if "login" in allowed and response.status_code in (302, 303):
        return response.headers["Location"].split("?")[0].endswith("/login")
    return response.status_code in allowed


def _leaks(body: str, url: str, secrets: set) -> list:
    return sorted(s for s in secrets if s and s not in url and s in body)


def test_every_rule_refuses_the_other_tenant(app, rollback, world):
    table = argument_table(app, world)
    secrets = secrets_of(app, world)
    all_secrets = set().union(*secrets.values())
    requester = Requester(app, world)
    failures, unknown, probed = [], {}, set()
    rules = tenant_rules(app)
    for rule in rules:
        try:
            probes = probes_for(rule, table, world)
        except LookupError as exc:
            unknown[rule.rule] = exc.args[0]
            continue
        for probe, allowed in probes:
            response = requester.send(probe)
            probed.add(probe.rule)
            body = response.get_data(as_text=True)
            if not _status_ok(response, allowed):
                failures.append(f"{probe}: status {response.status_code}, expected {allowed}: {body[:200]}")
            leaked = _leaks(body, probe.url, all_secrets)
            if leaked:
                failures.append(f"{probe}: body names the other tenant: {leaked}")
            if probe.url.endswith("/logout"):
                requester.clients.pop(probe.who, None)  # signed out: sign in again next time
                requester.tokens.pop(probe.who, None)
    assert not unknown, (
        "routes with path arguments the cross-tenant harness cannot fill; add the kind of "
        f"object to tests/tenant_objects.py (or world.extra['url_args']): {unknown}"
    )
    assert not failures, "\n".join(failures)
    # the walk really covered the tenant routes (a guard against a silently empty harness)
    assert {"/c/<community>/", "/d/<district>/", "/m/<merchant>/",
            "/api/v1/c/<community>/members/<member_id>"} <= probed
    # every path was probed (a path may carry two rules, one per method: both were sent)
    assert probed == {rule.rule for rule in rules}


def test_the_harness_fails_on_an_unknown_argument(app, rollback, world):
    from werkzeug.routing import Map, Rule

    rule = Rule("/c/<community>/widgets/<widget_id>", endpoint="widgets.detail", methods=["GET"])
    Map([rule])
    table = argument_table(app, world)
    try:
        probes_for(rule, table, world)
    except LookupError as exc:
        assert exc.args[0] == ["widget_id"]
    else:
        raise AssertionError("an unknown argument must stop the harness")


def test_the_harness_sees_a_leak_and_a_wrong_status(app, world):
    secrets = set().union(*secrets_of(app, world).values())
    assert _leaks("<h1>Community c2</h1>", "/c/comm-c2/", secrets) == ["Community c2"]
    # the slug in the URL itself is not a leak
    assert _leaks("<p>/c/comm-c2/ was not found</p>", "/c/comm-c2/", secrets) == []

    class Fake:
        def __init__(self, status, location=""):
            self.status_code, self.headers = status, {"Location": location}

    assert not _status_ok(Fake(200), {403, 404})
    assert not _status_ok(Fake(500), None)
    assert _status_ok(Fake(302, "/login?next=/c/comm-c2/"), {401, "login"})
    assert not _status_ok(Fake(302, "/elsewhere"), {401, "login"})


def test_own_tenant_with_other_ids_is_probed(app, rollback, world):
    rule = next(r for r in app.url_map.iter_rules()
                if r.rule == "/api/v1/c/<community>/members/<member_id>")
    probes = probes_for(rule, argument_table(app, world), world)
    own = [p for p, _ in probes if p.variant == "own-tenant"]
    assert own and all(f"/c/{world.slugs['c1']}/" in p.url for p in own)
    assert all(str(world.member_id("c2_red")) in p.url for p in own)
