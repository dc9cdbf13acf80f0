"""Clients that act as people do: through the login form (with its CSRF token) or a token."""

import re

from tests.world import PASSWORD

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class WebClient:
    """Pages as a browser shows them; ``language`` sets its Accept-Language (none: the
    product's default, Chinese)."""

    def __init__(self, app, world, language=None):
        self.app = app
        self.world = world
        self.client = app.test_client()
        if language:
            self.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post_form(self, url, data=None, page=None, **kwargs):
        """POST a form the way a browser would: the CSRF token comes from ``page`` (or ``url``)."""
        html = self.client.get(page or url).get_data(as_text=True)
        payload = {"csrf_token": csrf_token(html), **(data or {})}
        return self.client.post(url, data=payload, **kwargs)

    def login(self, login, password=PASSWORD, **kwargs):
        response = self.post_form("/login", {"login": login, "password": password}, **kwargs)
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
        return response

    def logout(self):
        return self.post_form("/logout", page="/me")


class ApiClient:
    def __init__(self, app, world):
        self.app = app
        self.world = world
        self.client = app.test_client()
        self.token = None

    def as_(self, user_name):
        clone = ApiClient(self.app, self.world)
        clone.token = self.world.tokens[user_name]
        return clone

    def _headers(self, extra=None):
        headers = dict(extra or {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return headers

    def get(self, url, **kwargs):
        return self.client.get(url, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, url, json=None, **kwargs):
        return self.client.post(url, json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def request(self, method, url, **kwargs):
        return self.client.open(url, method=method, headers=self._headers(kwargs.pop("headers", None)), **kwargs)
