"""The API's contract (API.md): problem+json errors, 422 naming each bad field, no 500 for any
input, nothing written on a failure, the district/community/member endpoints, and
Idempotency-Key."""

import json

import pytest
from marshmallow import Schema, fields
from sqlalchemy import func, select

from core.audit.models import AuditEvent
from core.extensions import db
from core.identity.models import DistrictAdmin, Member, User
from core.tenancy.context import all_communities
from core.tenancy.models import Community, District
from tests.world import PASSWORD

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


@pytest.fixture
def counts(app):
    """Row counts of everything an API write could touch, to show nothing was written."""

    def snapshot():
        with app.app_context(), all_communities():
            result = {
                model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                for model in (User, Member, District, Community, DistrictAdmin, AuditEvent)
            }
            db.session.remove()
        return result

    return snapshot


def assert_problem(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert PROBLEM_KEYS <= set(body), body
    assert body["status"] == status
    assert body["type"].endswith("/" + body["code"])
    assert all(isinstance(body[k], str) for k in PROBLEM_KEYS - {"status"})
    if code:
        assert body["code"] == code, body
    return body


def members_url(world, community="c1"):
    return f"/api/v1/c/{world.slugs[community]}/members"


def new_member(**overrides):
    body = {"login": "new_person", "password": "password-1", "name": "New Person",
            "role": "resident", "account_kind": "green"}
    body.update(overrides)
    return body


# --- error shape and input validation -----------------------------------------------------


def test_not_found_is_a_problem(api, world):
    body = assert_problem(api.as_("c1_admin").get(f"{members_url(world)}/nope"), 404, "not_found")
    assert body["detail"]


def test_unauthenticated_is_a_problem(api, world):
    assert_problem(api.get(f"{members_url(world)}/{world.member_id('c1_red')}"), 401, "unauthorized")


def test_wrong_types_name_each_field(api, world, counts):
    before = counts()
    response = api.as_("c1_admin").post(members_url(world), json={
        "login": 5, "password": 12345678, "name": ["x"], "role": 1, "account_kind": True,
    })
    body = assert_problem(response, 422, "invalid")
    assert set(body["errors"]) == {"login", "password", "name", "role", "account_kind"}
    assert counts() == before


def test_unknown_fields_are_refused(api, world, counts):
    before = counts()
    response = api.as_("c1_admin").post(members_url(world), json=new_member(is_admin=True, extra=1))
    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"is_admin", "extra"}
    assert counts() == before


def test_missing_fields_are_named(api, world, counts):
    before = counts()
    body = assert_problem(api.as_("c1_admin").post(members_url(world), json={}), 422)
    assert set(body["errors"]) == {"login", "password", "name"}
    body = assert_problem(api.as_("platform").post(
        f"/api/v1/districts/{world.slugs['d1']}/communities", json={"slug": "x1", "name": "X",
                                                                  "admin": {}}), 422)
    # a nested object's missing fields are named inside it
    assert set(body["errors"]) == {"admin"} and set(body["errors"]["admin"]) == {"login", "password", "name"}
    assert counts() == before


def test_overlong_strings_are_refused(api, world, counts):
    before = counts()
    body = assert_problem(api.as_("c1_admin").post(
        members_url(world), json=new_member(name="x" * 81, password="p" * 201, login="l" * 65)), 422)
    assert set(body["errors"]) == {"name", "password", "login"}
    body = assert_problem(api.as_("platform").post(
        "/api/v1/districts", json={"slug": "a" * 41, "name": "n" * 121}), 422)
    assert set(body["errors"]) == {"slug", "name"}
    assert counts() == before


@pytest.mark.parametrize("slug", ["Upper", "with space", "-dash-first", "dash-last-", "中文", "",
                                  "a/b", "a" * 41])
def test_invalid_slugs_are_refused(api, slug, counts):
    before = counts()
    body = assert_problem(api.as_("platform").post("/api/v1/districts", json={"slug": slug, "name": "X"}), 422)
    assert set(body["errors"]) == {"slug"}
    assert counts() == before


def test_malformed_json_is_a_400_problem(api, world, counts):
    before = counts()
    response = api.as_("c1_admin").post(
        members_url(world), data=b'{"login": "x",', headers={"Content-Type": "application/json"})
    assert_problem(response, 400, "malformed_request")
    assert counts() == before


@pytest.mark.parametrize("payload", [b'{"login": "\xff\xfe", "password": "x"}', b"\xff\xfe\x00",
                                     b'\xef\xbb\xbf{"login": "a"}', b"\x00" * 10])
def test_bad_bytes_are_a_4xx_never_a_500(api, world, payload, counts):
    before = counts()
    for url in (members_url(world), "/api/v1/tokens", "/api/v1/districts"):
        response = api.as_("platform").post(url, data=payload,
                                            headers={"Content-Type": "application/json"})
        assert 400 <= response.status_code < 500, (url, response.status_code)
        assert response.mimetype == "application/problem+json"
    assert counts() == before


def test_a_body_that_is_not_an_object(api, world):
    for payload in ([], "text", 5, None):
        response = api.as_("c1_admin").post(members_url(world), json=payload)
        assert 400 <= response.status_code < 500, payload


def test_method_not_allowed_names_the_allowed_ones(api):
    response = api.get("/api/v1/tokens")
    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_integer_inputs_are_strict(app):
    """Every Integer a JSON body takes must be strict: "5" and 5.5 are not 5."""
    loose = []
    for schema, where in request_schemas(app):
        loose += [f"{where}: {name}" for name in loose_integers(schema)]
    assert not loose, f"use fields.Integer(strict=True): {loose}"


def test_the_strict_integer_check_catches_a_loose_one():
    class Loose(Schema):
        points = fields.Integer()
        inner = fields.Nested(type("Inner", (Schema,), {"n": fields.Integer()}))
        items = fields.List(fields.Integer())

    class Strict(Schema):
        points = fields.Integer(strict=True)

    assert sorted(loose_integers(Loose())) == ["inner.n", "items[]", "points"]
    assert loose_integers(Strict()) == []


def request_schemas(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        functions = [getattr(view_class, m.lower(), None) for m in rule.methods] if view_class else [view]
        for fn in filter(None, functions):
            for parameter in getattr(fn, "_apidoc", {}).get("arguments", {}).get("parameters", []):
                if parameter.get("in", "body") not in ("body", "json"):
                    continue  # a query string is text: "10" must stay a valid limit there
                schema = parameter["schema"]
                yield (schema() if isinstance(schema, type) else schema), f"{rule.rule} {fn.__name__}"


def loose_integers(schema, prefix="") -> list:
    found = []
    for name, field in schema.fields.items():
        found += _loose(field, f"{prefix}{name}")
    return found


def _loose(field, path) -> list:
    if isinstance(field, fields.Integer):
        return [] if field.strict else [path]
    if isinstance(field, fields.Nested):
        return loose_integers(field.schema, path + ".")
    if isinstance(field, fields.List):
        return _loose(field.inner, path + "[]")
    return []


def test_request_schemas_are_found(app):
    names = {type(schema).__name__ for schema, _ in request_schemas(app)}
    assert {"MemberIn", "TokenIn", "DistrictIn", "CommunityIn", "NewUserSchema"} <= names


# --- districts, communities, members --------------------------------------------------------


def test_platform_admin_creates_a_district(api, counts):
    before = counts()
    response = api.as_("platform").post("/api/v1/districts", json={"slug": "new-dist", "name": "新区"})
    assert response.status_code == 201, response.json
    assert set(response.json) == {"id", "slug", "name"}
    assert response.json["slug"] == "new-dist" and response.json["name"] == "新区"
    assert counts()["districts"] == before["districts"] + 1


def test_district_slug_taken(api, world, counts):
    before = counts()
    body = assert_problem(api.as_("platform").post(
        "/api/v1/districts", json={"slug": world.slugs["d1"], "name": "Again"}), 409, "slug_taken")
    assert set(body["errors"]) == {"slug"}
    assert counts() == before


@pytest.mark.parametrize("who", ["d1_admin", "c1_admin", "c1_red", "m1_owner"])
def test_only_the_platform_creates_districts(api, who, counts):
    before = counts()
    assert_problem(api.as_(who).post("/api/v1/districts", json={"slug": "nope", "name": "N"}), 403, "forbidden")
    assert counts() == before


def test_platform_admin_adds_a_district_admin(api, world, counts):
    before = counts()
    url = f"/api/v1/districts/{world.slugs['d1']}/admins"
    response = api.as_("platform").post(url, json={"login": "d1_second", "password": "password-1", "name": "Second"})
    assert response.status_code == 201, response.json
    assert set(response.json) == {"id", "login", "name"} and response.json["login"] == "d1_second"
    assert counts()["district_admins"] == before["district_admins"] + 1
    again = api.as_("platform").post(url, json={"login": "d1_second", "password": "password-1", "name": "S"})
    assert_problem(again, 409, "login_taken")
    # a district admin cannot add more admins to their own district (403), nor see another (404)
    assert_problem(api.as_("d1_admin").post(url, json={"login": "x_y_z", "password": "password-1", "name": "X"}), 403)
    other = f"/api/v1/districts/{world.slugs['d2']}/admins"
    assert_problem(api.as_("d1_admin").post(other, json={"login": "x_y_z", "password": "password-1", "name": "X"}), 404)
    assert counts()["users"] == before["users"] + 1


def community_body(slug="new-comm", login="new_comm_admin", **overrides):
    body = {"slug": slug, "name": "新社区", "timezone": "Asia/Shanghai", "currency": "CNY",
            "admin": {"login": login, "password": "password-1", "name": "First Admin"}}
    body.update(overrides)
    return body


def test_district_admin_creates_a_community(api, world, counts):
    before = counts()
    url = f"/api/v1/districts/{world.slugs['d1']}/communities"
    response = api.as_("d1_admin").post(url, json=community_body())
    assert response.status_code == 201, response.json
    assert response.json["slug"] == "new-comm"
    assert response.json["district"] == world.slugs["d1"]
    assert set(response.json) == {"id", "slug", "name", "district", "timezone", "currency"}
    after = counts()
    assert after["communities"] == before["communities"] + 1
    assert after["members"] == before["members"] + 1  # the first admin
    # the first admin can use the API in the new community at once
    client = api.client
    token = client.post("/api/v1/tokens", json={"login": "new_comm_admin", "password": "password-1"}).json["token"]
    created = client.post("/api/v1/c/new-comm/members", json=new_member(),
                          headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201, created.json


def test_community_slug_or_login_taken(api, world, counts):
    url = f"/api/v1/districts/{world.slugs['d1']}/communities"
    before = counts()
    body = assert_problem(api.as_("d1_admin").post(url, json=community_body(slug=world.slugs["c2"])), 409, "slug_taken")
    assert set(body["errors"]) == {"slug"}
    body = assert_problem(api.as_("d1_admin").post(url, json=community_body(login="c1_red")), 409, "login_taken")
    assert counts() == before


def test_community_in_another_district_is_404(api, world, counts):
    before = counts()
    for who in ("d1_admin", "c2_admin", "m1_owner"):
        url = f"/api/v1/districts/{world.slugs['d2']}/communities"
        assert_problem(api.as_(who).post(url, json=community_body()), 404, "not_found")
        # the same for a district that does not exist: nothing tells them apart
        assert_problem(api.as_(who).post("/api/v1/districts/no-such/communities", json=community_body()), 404)
    assert counts() == before


def test_bad_timezone_and_currency(api, world, counts):
    before = counts()
    url = f"/api/v1/districts/{world.slugs['d1']}/communities"
    body = assert_problem(api.as_("d1_admin").post(url, json=community_body(timezone="Mars/Base", currency="XXY")), 422)
    assert set(body["errors"]) == {"timezone", "currency"}
    assert counts() == before


def test_community_admin_adds_a_member(api, world, counts):
    before = counts()
    response = api.as_("c1_admin").post(members_url(world), json=new_member(phone="+8613900000000"))
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) >= {"id", "name", "role", "account_kind", "balance"}
    assert (body["role"], body["account_kind"], body["balance"]) == ("resident", "green", 0)
    assert counts()["members"] == before["members"] + 1
    fetched = api.as_("c1_grid").get(f"{members_url(world)}/{body['id']}")
    assert fetched.status_code == 200 and fetched.json == body
    # the new member signs in with the phone number
    token = api.client.post("/api/v1/tokens", json={"login": "+8613900000000", "password": "password-1"})
    assert token.status_code == 201


def test_member_login_taken(api, world, counts):
    before = counts()
    body = assert_problem(api.as_("c1_admin").post(members_url(world), json=new_member(login="c2_red")), 409, "login_taken")
    assert set(body["errors"]) == {"login"}
    assert counts() == before


@pytest.mark.parametrize("who", ["c1_grid", "c1_red"])
def test_only_community_admins_add_members(api, world, who, counts):
    before = counts()
    assert_problem(api.as_(who).post(members_url(world), json=new_member()), 403, "forbidden")
    assert counts() == before


def test_another_communitys_members_endpoint_is_404(api, world, counts):
    before = counts()
    assert_problem(api.as_("c1_admin").post(members_url(world, "c2"), json=new_member()), 404)
    assert_problem(api.as_("c1_admin").post("/api/v1/c/no-such/members", json=new_member()), 404)
    assert counts() == before


def test_member_detail_for_staff_and_self(api, world):
    url = f"{members_url(world)}/{world.member_id('c1_red')}"
    for who in ("c1_admin", "c1_grid", "c1_red", "d1_admin"):
        response = api.as_(who).get(url)
        assert response.status_code == 200, who
        assert response.json["name"] == "c1 red person"
        assert response.json["role"] == "resident" and response.json["account_kind"] == "red"
    # a resident sees only themselves; another community's staff nothing
    assert_problem(api.as_("c1_blue").get(url), 404)
    assert_problem(api.as_("c2_admin").get(url), 404)
    assert_problem(api.as_("d2_admin").get(url), 404)


# --- Idempotency-Key ---------------------------------------------------------------------


def test_a_retry_with_the_same_key_replays_the_first_answer(api, world, counts):
    client = api.as_("c1_admin")
    headers = {"Idempotency-Key": "retry-1"}
    first = client.post(members_url(world), json=new_member(), headers=headers)
    assert first.status_code == 201
    after_first = counts()
    again = client.post(members_url(world), json=new_member(), headers=headers)
    assert again.status_code == 201
    assert again.json == first.json
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert counts() == after_first
    # the same key with another body
    other = client.post(members_url(world), json=new_member(name="Someone Else"), headers=headers)
    assert_problem(other, 409, "idempotency_key_reused")
    assert counts() == after_first


def test_idempotency_keys_belong_to_one_user(api, world):
    headers = {"Idempotency-Key": "shared-key"}
    first = api.as_("c1_admin").post(members_url(world), json=new_member(), headers=headers)
    assert first.status_code == 201
    # another admin using the same key string is a different request: here a login conflict
    second = api.as_("c3_admin").post(members_url(world, "c3"), json=new_member(), headers=headers)
    assert_problem(second, 409, "login_taken")


def test_an_overlong_idempotency_key_is_refused(api, world, counts):
    before = counts()
    response = api.as_("c1_admin").post(members_url(world), json=new_member(),
                                         headers={"Idempotency-Key": "k" * 201})
    body = assert_problem(response, 422)
    assert "Idempotency-Key" in body["errors"]
    assert counts() == before


def test_failures_are_not_remembered(api, world):
    client = api.as_("c1_admin")
    headers = {"Idempotency-Key": "after-a-failure"}
    assert client.post(members_url(world), json=new_member(login="c2_red"), headers=headers).status_code == 409
    # the failure was not stored: the same key with a corrected body goes through
    assert client.post(members_url(world), json=new_member(), headers=headers).status_code == 201


def test_tokens_need_no_bearer(api):
    response = api.post("/api/v1/tokens", json={"login": "c1_admin", "password": PASSWORD})
    assert response.status_code == 201


# --- NUL characters (PostgreSQL cannot store them: they must never reach the database) -----


def test_nul_in_a_json_field_is_a_422_naming_it(api, world, counts):
    before = counts()
    body = assert_problem(api.as_("c1_admin").post(members_url(world), json=new_member(name="a\x00b")), 422)
    assert set(body["errors"]) == {"name"}
    body = assert_problem(api.as_("d1_admin").post(
        f"/api/v1/districts/{world.slugs['d1']}/communities",
        json=community_body(admin={"login": "x\x00", "password": "password-1", "name": "N"})), 422)
    assert set(body["errors"]) == {"admin"} and set(body["errors"]["admin"]) == {"login"}
    body = assert_problem(api.post("/api/v1/tokens", json={"login": "\x00", "password": "p"}), 422)
    assert set(body["errors"]) == {"login"}
    # the same JSON in UTF-16, and a backslash before u0000 that is text, not an escape
    utf16 = json.dumps({"login": "\x00", "password": "p"}).encode("utf-16")
    body = assert_problem(api.post("/api/v1/tokens", data=utf16, headers={"Content-Type": "application/json"}), 422)
    assert set(body["errors"]) == {"login"}
    assert api.post("/api/v1/tokens", json={"login": "\\u0000", "password": "p"}).status_code == 401
    assert counts() == before


def test_nul_in_the_path_or_query(api, world):
    client = api.as_("c1_admin")
    assert_problem(client.get(f"/api/v1/c/comm%00/members/{world.member_id('c1_red')}"), 404)
    assert_problem(client.get(f"/api/v1/c/{world.slugs['c1']}/members/%00"), 404)
    body = assert_problem(client.get(
        f"/api/v1/c/{world.slugs['c1']}/members/{world.member_id('c1_red')}?x=%00"), 422)
    assert set(body["errors"]) == {"x"}


def test_nul_in_an_idempotency_key(api, world, counts):
    before = counts()
    body = assert_problem(api.as_("c1_admin").post(
        members_url(world), json=new_member(), headers={"Idempotency-Key": "k\x01"}), 422)
    assert set(body["errors"]) == {"Idempotency-Key"}
    assert counts() == before


def test_nul_in_a_form_is_a_400(web, world):
    response = web.post_form("/login", {"login": "c1_red\x00", "password": PASSWORD})
    assert response.status_code == 400
    assert web.get("/c/comm%00/").status_code == 404


def test_api_requests_never_read_or_write_the_cookie_session(api, world):
    """Bearer tokens only: the API answers with no Set-Cookie, even to a client holding the
    session cookie a page gave it, and that cookie never signs the API caller in."""
    caller = api.as_("c1_admin")
    page = caller.client.get("/login")  # the same test client: it now holds the session cookie
    assert any(c.startswith("session=") for c in page.headers.getlist("Set-Cookie"))
    member = f"{members_url(world)}/{world.member_id('c1_red')}"
    reply = caller.get(member)
    assert reply.status_code == 200
    assert "Set-Cookie" not in reply.headers
    caller.token = None  # the cookie alone is no way in
    assert_problem(caller.get(member), 401, "unauthorized")


def test_the_api_does_not_even_open_the_cookie_session(app, client):
    page = client.get("/login")  # a page's session (it holds the CSRF token)
    cookie = next(c for c in page.headers.getlist("Set-Cookie") if c.startswith("session="))
    headers = {"Cookie": cookie.split(";", 1)[0]}
    with app.test_request_context("/login", headers=headers) as ctx:
        assert dict(app.session_interface.open_session(app, ctx.request))  # read for pages
    with app.test_request_context("/api/v1/districts", headers=headers) as ctx:
        session = app.session_interface.open_session(app, ctx.request)
        assert dict(session) == {}  # not read for the API ...
        session["x"] = 1
        response = app.response_class("{}")
        app.session_interface.save_session(app, session, response)
        assert "Set-Cookie" not in response.headers  # ... nor ever written
