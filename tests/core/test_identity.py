"""Signing in and out, throttles, sessions and API tokens."""

import re
from datetime import timedelta

from sqlalchemy import select, update

from core.extensions import db
from core.identity.actions import do_create_user, do_issue_token, do_revoke_token, token_digest
from core.identity.models import ApiToken, User
from core.tenancy.context import all_communities
from core.transactions import atomic
from core.types import utcnow
from tests.helpers import WebClient
from tests.world import PASSWORD

EN = {"Accept-Language": "en"}
ERROR_SUMMARY = re.compile(r'<div class="error-summary".*?</div>', re.S)


def login_attempt(web, login, password, address="127.0.0.1", headers=None, **data):
    return web.post_form("/login", {"login": login, "password": password, **data},
                         environ_base={"REMOTE_ADDR": address}, headers=headers or {})


def is_signed_in(client) -> bool:
    response = client.get("/me")
    return response.status_code == 200


def token_request(client, login, password, address="127.0.0.1"):
    return client.post("/api/v1/tokens", json={"login": login, "password": password},
                       environ_base={"REMOTE_ADDR": address})


# --- signing in ------------------------------------------------------------------------


def test_login_with_user_name(web, world):
    response = login_attempt(web, "c1_red", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/c/{world.slugs['c1']}/"
    assert is_signed_in(web)


def test_login_with_phone_number(app, web):
    with app.app_context(), atomic():
        do_create_user("phone_person", PASSWORD, "Phone Person", phone="13800138000")
    response = login_attempt(web, "13800138000", PASSWORD)
    assert response.status_code == 302
    assert is_signed_in(web)


def test_wrong_user_and_wrong_password_look_the_same(web):
    wrong_user = login_attempt(web, "nobody_here", PASSWORD)
    wrong_password = login_attempt(web, "c1_red", "not-the-password")
    assert wrong_user.status_code == wrong_password.status_code == 401
    first = ERROR_SUMMARY.search(wrong_user.get_data(as_text=True)).group(0)
    second = ERROR_SUMMARY.search(wrong_password.get_data(as_text=True)).group(0)
    assert first.encode() == second.encode()
    assert not is_signed_in(web)


def test_failed_logins_are_throttled_per_login(web):
    for n in range(10):
        response = login_attempt(web, "c1_red", "wrong", address=f"10.0.0.{n + 1}")
        assert response.status_code == 401, n
    # the 11th try, from yet another address, even with the right password
    response = login_attempt(web, "c1_red", PASSWORD, address="10.0.0.99", headers=EN)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert not is_signed_in(web)
    # another login is not affected
    assert login_attempt(web, "c1_blue", PASSWORD, address="10.0.0.99").status_code == 302


def test_failed_logins_are_throttled_per_address(web):
    for n in range(10):
        assert login_attempt(web, f"guess_{n}", "wrong", address="10.9.9.9").status_code == 401
    assert login_attempt(web, "c1_blue", PASSWORD, address="10.9.9.9").status_code == 429
    assert login_attempt(web, "c1_blue", PASSWORD, address="10.9.9.10").status_code == 302


def test_successful_logins_do_not_count(app, rollback, world):
    for _ in range(12):
        client = WebClient(app, world)
        assert login_attempt(client, "c1_red", PASSWORD).status_code == 302
    # nine failures on top still leave one try before the throttle
    client = WebClient(app, world)
    for _ in range(9):
        assert login_attempt(client, "c1_red", "wrong").status_code == 401
    assert login_attempt(client, "c1_red", PASSWORD).status_code == 302


def test_logout(web):
    web.login("c1_red")
    assert is_signed_in(web)
    response = web.logout()
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert not is_signed_in(web)
    assert web.get("/me").headers["Location"].startswith("/login")


def test_logout_needs_a_post_with_csrf(web):
    web.login("c1_red")
    assert web.get("/logout").status_code == 405
    assert web.client.post("/logout").status_code == 400  # no CSRF token
    assert is_signed_in(web)


def test_remember_me_cookie_is_httponly_and_samesite(web):
    response = login_attempt(web, "c1_red", PASSWORD, remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember, cookies
    assert "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0]
    session = [c for c in cookies if c.startswith("session=")]
    assert session and "HttpOnly" in session[0] and "SameSite=Lax" in session[0]


def test_without_remember_me_no_remember_cookie(web):
    response = login_attempt(web, "c1_red", PASSWORD)
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]


# --- sessions end when the password changes ----------------------------------------------


def change_password(web, current, new):
    return web.post_form("/account/password",
                         {"current_password": current, "new_password": new, "confirm": new})


def test_password_change_ends_other_sessions_and_tokens(app, rollback, world):
    here, elsewhere, remembered = (WebClient(app, world) for _ in range(3))
    here.login("c1_blue")
    elsewhere.login("c1_blue")
    login_attempt(remembered, "c1_blue", PASSWORD, remember="y")
    # the remember cookie alone signs in (the session cookie dropped, as after a browser restart)
    remembered.client.delete_cookie("session", domain="localhost")
    assert is_signed_in(remembered)
    remembered.client.delete_cookie("session", domain="localhost")
    token = world.tokens["c1_blue"]
    member_url = f"/api/v1/c/{world.slugs['c1']}/members/{world.member_id('c1_blue')}"
    assert app.test_client().get(member_url, headers={"Authorization": f"Bearer {token}"}).status_code == 200

    with app.app_context():
        epoch = db.session.get(User, world.ids["user:c1_blue"]).auth_epoch
        db.session.remove()
    response = change_password(here, PASSWORD, "a-new-password")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, world.ids["user:c1_blue"]).auth_epoch == epoch + 1
        db.session.remove()

    assert is_signed_in(here)  # signed in again under the new password
    assert not is_signed_in(elsewhere)  # the old session cookie no longer authenticates
    assert not is_signed_in(remembered)  # nor the old remember-me cookie
    assert app.test_client().get(member_url, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    # the new password works, the old one not
    assert login_attempt(WebClient(app, world), "c1_blue", "a-new-password").status_code == 302
    assert login_attempt(WebClient(app, world), "c1_blue", PASSWORD).status_code == 401


def test_password_change_with_the_wrong_current_password(web, app, world):
    web.login("c1_blue")
    response = web.post_form("/account/password", {
        "current_password": "not-it", "new_password": "a-new-password", "confirm": "a-new-password",
    }, headers=EN)
    assert response.status_code == 422
    assert "The current password is not right." in response.get_data(as_text=True)
    assert is_signed_in(web)


def test_session_protection_drops_a_session_moved_to_another_browser(web):
    web.login("c1_red")
    assert web.get("/me").status_code == 200
    assert web.get("/me", headers={"User-Agent": "Stolen/1.0"}).status_code == 302
    # strong protection deleted the session: the original browser is signed out too
    assert not is_signed_in(web)


# --- API tokens ----------------------------------------------------------------------


def test_token_issue(client, world):
    response = token_request(client, "c1_admin", PASSWORD)
    assert response.status_code == 201
    assert set(response.json) == {"token", "expires_at"}
    token = response.json["token"]
    url = f"/api/v1/c/{world.slugs['c1']}/members/{world.member_id('c1_red')}"
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get(url, headers={"Authorization": f"Bearer {token}x"}).status_code == 401


def test_token_bad_credentials_look_the_same(client):
    wrong_user = token_request(client, "nobody_here", PASSWORD)
    wrong_password = token_request(client, "c1_admin", "not-it")
    assert wrong_user.status_code == wrong_password.status_code == 401
    assert wrong_user.get_data() == wrong_password.get_data()
    assert wrong_user.mimetype == "application/problem+json"
    assert wrong_user.json["code"] == "bad_credentials"


def test_token_requests_are_throttled(client):
    for n in range(10):
        assert token_request(client, "c1_admin", "wrong", address=f"10.1.0.{n}").status_code == 401
    response = token_request(client, "c1_admin", PASSWORD, address="10.1.0.99")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.json["code"] == "too_many_requests"
    # per address as well
    for n in range(10):
        token_request(client, f"guess_{n}", "wrong", address="10.2.0.1")
    assert token_request(client, "c1_red", PASSWORD, address="10.2.0.1").status_code == 429
    assert token_request(client, "c1_red", PASSWORD, address="10.2.0.2").status_code == 201


def test_token_successes_do_not_count(client):
    for _ in range(12):
        assert token_request(client, "c1_admin", PASSWORD).status_code == 201


def test_the_database_never_holds_the_token(app, client):
    token = token_request(client, "c1_admin", PASSWORD).json["token"]
    with app.app_context(), all_communities():
        assert db.session.scalar(select(ApiToken.id).where(ApiToken.token_hash == token_digest(token)))
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                assert not any(token in str(value) for value in row), table.name
        db.session.remove()


def test_expired_and_revoked_tokens_are_refused(app, client, world):
    url = f"/api/v1/c/{world.slugs['c1']}/members/{world.member_id('c1_admin')}"
    with app.app_context():
        user = db.session.get(User, world.ids["user:c1_admin"])
        expired, expired_row = do_issue_token(user)
        revoked, revoked_row = do_issue_token(user)
        with atomic():
            db.session.execute(update(ApiToken).where(ApiToken.id == expired_row.id)
                               .values(expires_at=utcnow() - timedelta(seconds=1)))
        do_revoke_token(db.session.get(ApiToken, revoked_row.id))
        db.session.remove()
    for token in (expired, revoked):
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.json["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_api_ignores_the_session_cookie(web, world):
    """The API authenticates with bearer tokens only: a signed-in browser gets a 401 (which
    is also why the API needs no CSRF token)."""
    web.login("c1_admin")
    url = f"/api/v1/c/{world.slugs['c1']}/members/{world.member_id('c1_red')}"
    assert web.get(url).status_code == 401
