"""The JSON API: flask-smorest blueprints, bearer tokens, community scoping, idempotency."""

import functools
import hashlib
import http

from flask import current_app, g, json, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response
from marshmallow import EXCLUDE

from core.api.idempotency import lookup, remember  # also registers the table with the models
from core.api.problems import PROBLEM_MIMETYPE, ApiError, ProblemSchema, from_http_exception
from core.identity.actions import user_for_token
from core.identity.models import Role
from core.tenancy.access import Forbidden, NotFound, enter_community

API_PREFIX = "/api/v1"


def is_api_request(req=None) -> bool:
    """Does this request (the current one by default) go to the JSON API?"""
    return (req or request).path.startswith(API_PREFIX + "/")


class LinliApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        # flask-smorest documents errors in its own JSON shape; ours are problem+json
        responses = {status.name: (status.phrase, status >= 400) for status in http.HTTPStatus}
        responses["DEFAULT_ERROR"] = ("Default error response", True)
        for name, (description, is_error) in responses.items():
            response = {"description": description}
            if is_error:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(name, response, lazy=True)

    def handle_http_exception(self, error):
        # An error answer never leaves half a change behind.
        from core.extensions import db

        db.session.rollback()
        if is_api_request():
            return from_http_exception(error)
        from core.web.errors import render_error_page

        return render_error_page(error)


api = LinliApi()

API_CONFIG = {
    "API_TITLE": "Linli API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": API_PREFIX,
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
        },
        "security": [{"bearer": []}],
        "info": {"description": "Community points with a shared merchant marketplace."},
    },
}


class NoCookieSessionOnTheApi(SecureCookieSessionInterface):
    """API requests authenticate with a bearer token and never use the cookie session: each
    gets an empty session that is never saved, instead of a signed cookie read (and a
    serializer built) on every call. Writing to it is harmless; it is simply dropped."""

    def open_session(self, app, request):
        if is_api_request(request):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if is_api_request():
            return
        super().save_session(app, session, response)


def authenticated_user():
    """The user behind the bearer token, or a 401. API requests never use the cookie session,
    which is what makes them safe without CSRF tokens."""
    if getattr(g, "api_user", None) is not None:
        return g.api_user
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise ApiError(
            401, "unauthorized", _("A valid bearer token is required."),
            headers={"WWW-Authenticate": 'Bearer realm="linli"'},
        )
    g.api_user = user
    return user


class ApiBlueprint(Blueprint):
    def arguments(self, schema, *args, **kwargs):
        # Given a schema class, webargs builds an instance on every request (a fifth of
        # parsing the counter's one-field body); one instance serves every request, as
        # marshmallow schemas keep no per-call state. The OpenAPI document is the same.
        if isinstance(schema, type):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)


def api_blueprint(name: str, import_name: str, url_prefix: str = "", **kwargs) -> Blueprint:
    return ApiBlueprint(name, import_name, url_prefix=API_PREFIX + url_prefix, **kwargs)


def community_api_blueprint(name: str, import_name: str, url_prefix: str = "", **kwargs):
    """Routes under ``/api/v1/c/<community>``: the token's user must belong to it."""
    blp = api_blueprint(name, import_name, "/c/<community>" + url_prefix, **kwargs)

    @blp.url_value_preprocessor
    def _enter(endpoint, values):
        user = authenticated_user()
        slug = values.pop("community", None)
        try:
            g.actor = enter_community(slug, user, Role.RESIDENT)
        except (NotFound, Forbidden) as exc:
            raise not_found() from exc
        g.community = g.actor.community

    return blp


def require_role(role: Role):
    if not g.actor.can(role):
        raise ApiError(403, "forbidden", _("You are not allowed to do this."))


def not_found():
    return ApiError(404, "not_found", _("Not found."))


def lenient(schema_cls):
    """A response schema may meet fields it does not list: leave them out."""
    schema_cls.Meta = type("Meta", (), {"unknown": EXCLUDE})
    return schema_cls


# --- Idempotency-Key -------------------------------------------------------------------


def idempotent(view):
    """Replay the first response for a repeated ``Idempotency-Key``.

    The key is remembered per user and route; the same key with another body is refused
    (409 ``idempotency_key_reused``). The stored reply is written after the view's own
    transaction has committed; actions that move points also pass the key to the ledger, so
    a crash between the two still cannot move points twice.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return view(*args, **kwargs)
        if len(key) > 200:
            raise ApiError(422, "invalid", _("Idempotency-Key is too long."),
                           errors={"Idempotency-Key": [_("Longer than 200 characters.")]})
        if not key.isprintable():  # control characters (NUL cannot even be stored)
            raise ApiError(422, "invalid", _("Some fields are not valid."),
                           errors={"Idempotency-Key": [_("Invalid value.")]})
        fingerprint = hashlib.sha256(request.get_data() or b"").hexdigest()
        scope = f"{request.method} {request.path}"
        stored = lookup(authenticated_user().id, key, scope)
        if stored is not None:
            if stored.fingerprint != fingerprint:
                raise ApiError(409, "idempotency_key_reused",
                               _("This Idempotency-Key was used with a different request."))
            response = current_app.response_class(
                json.dumps(stored.body, ensure_ascii=False), status=stored.status,
                mimetype="application/json",
            )
            response.headers["Idempotent-Replayed"] = "true"
            return response
        g.idempotency_key = key
        result = view(*args, **kwargs)
        response = current_app.make_response(result)
        if response.status_code < 500 and response.is_json:
            remember(authenticated_user().id, key, scope, fingerprint,
                     response.status_code, response.get_json())
        return response

    return Blueprint.doc(parameters=[IDEMPOTENCY_HEADER])(wrapper)


IDEMPOTENCY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "A retry with the same key returns the first response and changes nothing; "
                   "the same key with a different body is 409 idempotency_key_reused.",
}
