"""Pages and their safety: error pages in both languages, CSRF, security headers, cookies,
the language switch, health checks."""

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from core import config as config_module
from core.extensions import db
from core.identity.models import User
from core.tenancy.models import District
from tests.helpers import WebClient, csrf_token
from tests.world import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
EN = {"Accept-Language": "en"}
LANG_ATTR = re.compile(r'<html lang="([^"]+)"')


def html_lang(response) -> str:
    return LANG_ATTR.search(response.get_data(as_text=True)).group(1)


def count(app, model) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
    return n


# --- error pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("headers, lang", [({}, "zh-Hans"), (EN, "en")])
def test_404_page(client, headers, lang):
    response = client.get("/no/such/page", headers=headers)
    assert response.status_code == 404
    assert html_lang(response) == lang
    body = response.get_data(as_text=True)
    assert 'class="error-page"' in body and ">404<" in body
    if lang == "en":
        assert "Page not found" in body


@pytest.mark.parametrize("headers, lang", [({}, "zh-Hans"), (EN, "en")])
def test_403_page_from_require_role(web, world, headers, lang):
    web.login("c1_red")
    response = web.get(f"/c/{world.slugs['c1']}/_test/admins-only", headers=headers)
    assert response.status_code == 403
    assert html_lang(response) == lang
    if lang == "en":
        assert "You cannot do this" in response.get_data(as_text=True)
    # an admin passes the same check
    admin = WebClient(web.app, world)
    admin.login("c1_admin")
    assert admin.get(f"/c/{world.slugs['c1']}/_test/admins-only").status_code == 200


@pytest.mark.parametrize("headers, lang", [({}, "zh-Hans"), (EN, "en")])
def test_500_page(client, headers, lang, caplog):
    response = client.get("/_test/boom", headers=headers)
    assert response.status_code == 500
    assert html_lang(response) == lang
    body = response.get_data(as_text=True)
    assert "secret detail" not in body and "Traceback" not in body and "Boom" not in body
    if lang == "en":
        assert "Sorry, something went wrong on our side" in body
    assert "secret detail" in caplog.text  # logged for us, not shown to them


def test_500_on_the_api_is_a_problem(client):
    response = client.get("/api/v1/_test/boom")
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "internal_error"
    assert "secret" not in response.get_data(as_text=True)


def test_403_page_direct(client):
    response = client.get("/_test/forbidden", headers=EN)
    assert response.status_code == 403 and "You cannot do this" in response.get_data(as_text=True)


# --- CSRF ----------------------------------------------------------------------------------


def test_forms_refuse_a_forged_or_missing_csrf_token(app, web, world):
    web.login("platform")
    before = count(app, District)
    form = {"name": "Forged", "slug": "forged"}
    assert web.client.post("/admin", data={**form, "csrf_token": "forged"}).status_code == 400
    assert web.client.post("/admin", data=form).status_code == 400
    # a token from another session is refused too
    other = WebClient(app, world)
    other.login("platform")
    stolen = csrf_token(other.get("/admin").get_data(as_text=True))
    assert web.client.post("/admin", data={**form, "csrf_token": stolen}).status_code == 400
    assert count(app, District) == before
    # the control: the same form with this session's token goes through
    assert web.post_form("/admin", form).status_code == 302
    assert count(app, District) == before + 1


def test_csrf_refusal_page_is_translated(web):
    web.login("c1_red")
    response = web.client.post("/language", data={"locale": "en"}, headers=EN)
    assert response.status_code == 400
    assert html_lang(response) == "en"
    assert web.get("/me").status_code == 200
    assert html_lang(web.get("/me")) == "zh-Hans"  # the forged switch changed nothing


# --- headers and cookies ----------------------------------------------------------------


@pytest.mark.parametrize("url", ["/login", "/no/such/page", "/healthz", "/api/v1/openapi.json",
                                 "/static/css/app.css", "/api/v1/tokens"])
def test_security_headers(client, url):
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    if response.mimetype == "text/html":
        assert response.headers["Cache-Control"] == "no-store"


def test_templates_have_no_inline_script_or_style():
    """The CSP forbids inline scripts and styles: they would silently not run."""
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        source = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source) or re.search(r"<style[\s>]", source) \
                or re.search(r"\sstyle=", source) or re.search(r"\son[a-z]+=", source):
            offenders.append(path.relative_to(ROOT).as_posix())
    assert not offenders


def test_session_cookie_flags(web):
    response = web.post_form("/login", {"login": "c1_red", "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # a laptop serves plain http


def test_secure_cookies_when_configured(app, web, monkeypatch):
    monkeypatch.setenv("SECURE_COOKIES", "1")
    settings = config_module.from_environment()
    assert settings["SESSION_COOKIE_SECURE"] is True and settings["REMEMBER_COOKIE_SECURE"] is True
    monkeypatch.delenv("SECURE_COOKIES")
    assert config_module.from_environment()["SESSION_COOKIE_SECURE"] is False
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        monkeypatch.setitem(app.config, key, True)
    response = web.post_form("/login", {"login": "c1_red", "password": PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("session=", "remember_token="):
        cookie = next(c for c in cookies if c.startswith(name))
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie


# --- language -----------------------------------------------------------------------------


@pytest.mark.parametrize("accept, lang", [
    (None, "zh-Hans"), ("en", "en"), ("en-US,en;q=0.9", "en"), ("zh-CN,zh;q=0.9,en;q=0.5", "zh-Hans"),
    ("fr-FR", "zh-Hans"), ("de, en;q=0.3", "en"),
])
def test_language_from_the_browser(client, accept, lang):
    headers = {"Accept-Language": accept} if accept else {}
    assert html_lang(client.get("/login", headers=headers)) == lang


def _switch(web, locale, page):
    html = web.get(page).get_data(as_text=True)
    return web.client.post("/language", data={"csrf_token": csrf_token(html), "locale": locale,
                                              "next": page})


def test_every_page_offers_the_other_language(web, world):
    web.login("c1_admin")
    pages = ["/me", f"/c/{world.slugs['c1']}/", "/account/password", "/no/such/page"]
    for page in pages:
        body = web.get(page).get_data(as_text=True)
        assert 'action="/language"' in body, page
        assert 'name="locale" value="en"' in body, page  # zh now: the switch offers English
    anonymous = WebClient(web.app, world)
    assert 'name="locale" value="en"' in anonymous.get("/login").get_data(as_text=True)
    assert 'name="locale" value="zh_Hans_CN"' in anonymous.get("/login", headers=EN).get_data(as_text=True)
    district = WebClient(web.app, world)
    district.login("d1_admin")
    assert 'action="/language"' in district.get(f"/d/{world.slugs['d1']}/").get_data(as_text=True)
    merchant = WebClient(web.app, world)
    merchant.login("m1_owner")
    assert 'action="/language"' in merchant.get(f"/m/{world.slugs['m1']}/").get_data(as_text=True)


def test_the_switch_works_before_signing_in(web):
    response = _switch(web, "en", "/login")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert html_lang(web.get("/login")) == "en"
    # the session's choice beats the browser's
    assert html_lang(web.get("/login", headers={"Accept-Language": "zh-CN"})) == "en"
    _switch(web, "zh_Hans_CN", "/login")
    assert html_lang(web.get("/login", headers=EN)) == "zh-Hans"


def test_the_choice_persists_on_the_user(app, web, world):
    web.login("c1_red")
    home = f"/c/{world.slugs['c1']}/"
    assert _switch(web, "en", home).headers["Location"] == home
    assert html_lang(web.get(home)) == "en"
    with app.app_context():
        assert db.session.get(User, world.ids["user:c1_red"]).locale == "en"
        db.session.remove()
    # another device, no Accept-Language: the user's choice follows them
    phone = WebClient(app, world)
    phone.login("c1_red")
    assert html_lang(phone.get(home)) == "en"


def test_the_switch_refuses_strange_input(web):
    html = web.get("/login").get_data(as_text=True)
    token = csrf_token(html)
    assert web.client.post("/language", data={"csrf_token": token, "locale": "xx"}).status_code == 400
    off_site = web.client.post("/language", data={"csrf_token": token, "locale": "en",
                                                  "next": "//evil.example/"})
    assert off_site.status_code == 302 and off_site.headers["Location"] == "/"


def test_large_text_switch(web):
    html = web.get("/login").get_data(as_text=True)
    assert '<html lang="zh-Hans" class="">' in html
    web.client.post("/display/large-text", data={"csrf_token": csrf_token(html), "next": "/login"})
    assert 'class="text-large"' in web.get("/login").get_data(as_text=True)


# --- health -------------------------------------------------------------------------------


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_is_503_when_the_database_is_unreachable(app, client, rollback, monkeypatch, tmp_path):
    if rollback.dialect.name == "postgresql":
        bad = create_engine("postgresql+psycopg://nobody:x@127.0.0.1:1/none",
                            connect_args={"connect_timeout": 2})
    else:
        bad = create_engine(f"sqlite:///{tmp_path}/missing-dir/x.db")
    engines = app.extensions["sqlalchemy"]._app_engines[app]
    monkeypatch.setitem(engines, None, bad)
    response = client.get("/readyz", headers=EN)
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["detail"] == "The database is not reachable."
    assert client.get("/healthz").status_code == 200  # alive, only not ready
    bad.dispose()


# --- registries stay single when the app is built again ---------------------------------------


def test_hook_registries_are_idempotent(monkeypatch):
    """init_app runs once per app the process builds (tests build several): registering the
    same hook again must not make it run twice."""
    from core import demo
    from core.districts import actions as districts
    from core.web import landing

    def hook(*_args):
        return []

    for registry, register in ((landing, landing.register_places),
                               (districts, districts.on_community_created),
                               (demo, demo.demo_step)):
        name = {"landing": "_providers", "actions": "_community_setup_hooks", "demo": "_steps"}[
            registry.__name__.rsplit(".", 1)[1]]
        monkeypatch.setattr(registry, name, list(getattr(registry, name)))
        register(hook)
        register(hook)
        assert getattr(registry, name).count(hook) == 1, name


# --- behind a reverse proxy ------------------------------------------------------------------


def test_the_login_throttle_ignores_a_forged_forwarded_address(app, web):
    """With no proxy configured (PROXY_COUNT=0, the test app's), X-Forwarded-For is ignored:
    ten failures 'from' ten forged addresses are still ten failures from one address."""
    for n in range(10):
        web.post_form("/login", {"login": f"guess_{n}", "password": "x"},
                      headers={"X-Forwarded-For": f"198.51.100.{n}"})
    response = web.post_form("/login", {"login": "c1_red", "password": PASSWORD},
                             headers={"X-Forwarded-For": "198.51.100.99"})
    assert response.status_code == 429
