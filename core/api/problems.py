"""Errors as ``application/problem+json`` (RFC 9457) with a stable ``code``."""

from flask import Response, json
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from core.api.messages import translate_errors

PROBLEM_TYPE = "https://linli.example/problems/"


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
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json"
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
    if status == 400 and data.get("messages") is None and errors is None:
        code, detail = "malformed_request", _("The request body is not valid JSON.")
    return problem_response(status, code, detail, errors, headers)


def _flatten_locations(errors: dict) -> dict:
    """webargs nests errors by location ({"json": {...}}); clients want the fields."""
    flat = {}
    for location, fields in errors.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat
