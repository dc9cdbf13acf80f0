"""Error pages in the user's language, and the API's errors for anything unexpected."""

import logging

from flask import render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from core.api.framework import is_api_request
from core.api.problems import from_http_exception

log = logging.getLogger(__name__)


def render_error_page(error: HTTPException):
    status = error.code or 500
    template = f"core/errors/{status}.html" if status in (403, 404, 500) else "core/errors/any.html"
    headers = {}
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    return render_template(template, error=error, status=status), status, headers


def handle_unexpected(error: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    from core.extensions import db

    db.session.rollback()
    wrapped = InternalServerError(original_exception=error)
    if is_api_request():
        return from_http_exception(wrapped)
    return render_error_page(wrapped)


def init_app(app):
    app.register_error_handler(Exception, handle_unexpected)
