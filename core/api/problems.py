"""Errors as ``application/problem+json`` (RFC 9457) with a stable ``code``."""

from flask import Response, json
from flask_babel import gettext as _
from marshmallow import INCLUDE, Schema, fields
from werkzeug.exceptions import HTTPException

from core.api.messages import translate_errors

PROBLEM_TYPE = "https://linli.example/problems/"
PROBLEM_MIMETYPE = "application/problem+json"


class ProblemSchema(Schema):
    """The body of every error (documented in the OpenAPI description as the error response)."""

    class Meta:
        unknown = INCLUDE  # some problems add their own members (``redeemed_at``...)

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    code = fields.String(required=True, metadata={"description": "a stable machine word"})
    errors = fields.Dict(
        keys=fields.String(), values=fields.Raw(),
        metadata={"description": "per field (422): the messages, or nested fields' messages"},
    )


class ApiError(HTTPException):
    """Raise from any API view: ``ApiError(409, "insufficient_points", _("..."))``."""

    def __init__(self, status: int, code: str, detail: str, *, errors=None, headers=None, **extra):
        super().__init__(description=detail)
        self.code = status
        self.problem_code = code
        self.errors = errors
        self.extra_headers = headers or {}
        self.extra = extra


# Titles per status, shown when an error has no more specific detail.
def _titles():
    return {
        400: _("The request could not be read."),
        401: _("Please sign in."),
        403: _("You are not allowed to do this."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        409: _("This conflicts with the current state."),
        410: _("This is no longer available."),
        413: _("The request is too large."),
        415: _("Send JSON (Content-Type: application/json)."),
        422: _("Some fields are not valid."),
        429: _("Too many attempts. Please wait and try again."),
        500: _("Something went wrong on our side."),
    }


DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "internal_error",
}


def problem_response(status, code, detail=None, errors=None, headers=None, **extra) -> Response:
    title = _titles().get(status, _("Error"))
    body = {
        "type": PROBLEM_TYPE + code,
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
        **extra,
    }
    if errors:
        body["errors"] = errors
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MIMETYPE
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    if isinstance(error, ApiError):
        return problem_response(
            status, error.problem_code, error.description, error.errors,
            error.extra_headers, **error.extra,
        )
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    headers = dict(data.get("headers") or {})
    if status == 405 and getattr(error, "valid_methods", None):
        # flask-smorest drops werkzeug's Allow header: put it back (RFC 9110 requires it)
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if status == 422 and errors:
        errors = translate_errors(_flatten_locations(errors))
    code = DEFAULT_CODES.get(status, "error")
    detail = None
    # a body that is not JSON at all (werkzeug's own 400, or webargs' {"json": [...]}): say so
    # in the user's language instead of passing on the parser's English
    if status == 400 and (errors is None or set(errors) == {"json"}):
        code, detail, errors = "malformed_request", _("The request body is not valid JSON."), None
    return problem_response(status, code, detail, errors, headers)


def _flatten_locations(errors: dict) -> dict:
    """webargs nests errors by location ({"json": {...}}); clients want the fields."""
    flat = {}
    for location, by_field in errors.items():
        if isinstance(by_field, dict):
            flat.update(by_field)
        else:
            flat[location] = by_field
    return flat
